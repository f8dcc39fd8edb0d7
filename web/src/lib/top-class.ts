/** The index of the highest score (the first on a tie), or -1 when none is a number. */
export function topClass(scores: ArrayLike<number>): number {
  let best = -1;
  for (let i = 0; i < scores.length; i++) {
    const score = scores[i]!;
    if (Number.isNaN(score)) continue;
    if (best < 0 || score > scores[best]!) best = i;
  }
  return best;
}

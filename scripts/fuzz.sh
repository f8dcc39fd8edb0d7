#!/usr/bin/env bash
# Runs each libFuzzer target (cpp/fuzz) for N minutes: bash scripts/fuzz.sh [MINUTES (5)] [TARGET...]
# Builds them with clang, ASan and UBSan in build/fuzz, fuzzes a copy of the committed corpus there (what a run
# finds stays in build/fuzz/corpus/, for the next run; cpp/fuzz/corpus/ is never changed), and prints each
# target's executions and time. A crash, a failed check or a hang (over 10 s on one input) is saved under
# build/fuzz/findings/TARGET/ and makes the script fail; replay it with build/fuzz/TARGET FILE. docs/fuzzing.md.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

minutes="${1:-5}"
shift || true
seconds=$(awk -v m="$minutes" 'BEGIN { s = int(m * 60); if (s < 1 || m !~ /^[0-9.]+$/) exit 1; print s }') ||
  { echo "usage: bash scripts/fuzz.sh [MINUTES] [TARGET...]" >&2; exit 2; }
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_idx fuzz_model_file)
missing=()
command -v clang++ >/dev/null || missing+=(clang)
[ -n "$(find /usr/lib/llvm-* -name 'libclang_rt.fuzzer-*.a' -print -quit 2>/dev/null)" ] || missing+=(libclang-rt-dev)
if [ ${#missing[@]} -gt 0 ]; then apt_install "${missing[@]}"; fi

say "building ${targets[*]} (clang, libFuzzer, ASan, UBSan) in build/fuzz"
CC=clang CXX=clang++ cmake -S . -B build/fuzz -DCMAKE_BUILD_TYPE=Release -DSCRATCHNET_FUZZ=ON >/dev/null
cmake --build build/fuzz -j"$(nproc)" --target "${targets[@]}"

summary=()
failed=()
for target in "${targets[@]}"; do
  seeds="cpp/fuzz/corpus/${target#fuzz_}"
  seeds="${seeds%_file}"                      # fuzz_model_file -> corpus/model
  work="build/fuzz/corpus/$(basename "$seeds")"
  findings="build/fuzz/findings/$target"
  mkdir -p "$work" "$findings"
  cp -n "$seeds"/* "$work"/
  say "$target: $minutes min on $work ($(ls "$work" | wc -l) inputs)"
  log="build/fuzz/$target.log"
  status=0
  "build/fuzz/$target" -max_total_time="$seconds" -timeout=10 -max_len=8192 -print_final_stats=1 \
    -artifact_prefix="$findings/" "$work" >"$log" 2>&1 || status=$?
  grep -E "^(#[0-9]+ +(DONE|NEW|REDUCE)|Done|stat::|==[0-9]+==ERROR|SUMMARY)" "$log" | tail -4 || true
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
  rate=$(( ${runs:-0} / (${secs:-0} > 0 ? ${secs:-0} : 1) ))
  summary+=("$(printf '%-16s %12s executions in %5s s (%s/s), corpus %s inputs' "$target" "${runs:-?}" "${secs:-?}" \
    "$rate" "$(ls "$work" | wc -l)")")
  if [ "$status" != 0 ]; then
    failed+=("$target")
    echo "$target FAILED (exit $status): see $log and $findings/" >&2
  fi
done

say "summary"
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED: ${failed[*]}" >&2
  exit 1
fi

// Appended to Node's pthread build (--post-js): lets Node exit while the pthread pool's workers idle.
// Emscripten 3.1.6 keeps them referenced, so a script or test using this build would otherwise never end.
Module['unrefThreads'] = function () {
  PThread.unusedWorkers.concat(PThread.runningWorkers).forEach(function (worker) {
    if (worker.unref) worker.unref();
  });
};

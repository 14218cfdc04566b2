// The thread function of threads.spawn_join (bench/_threads.mjs): the anchors' work, `x * 2`.
export function double(x) {
  return x * 2;
}

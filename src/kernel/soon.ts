/**
 * Callbacks for the next turn of Node's event loop, all on one `setImmediate`: how wheels learn
 * that a handle can take data now (POE's write readiness). Fifty busy sockets cost one timer,
 * not fifty; callbacks added while they run wait for the next turn.
 */
export class Soon {
  #due: (() => void)[] = [];
  #scheduled = false;

  add(fn: () => void): void {
    this.#due.push(fn);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(this.#run);
  }

  readonly #run = (): void => {
    this.#scheduled = false;
    const due = this.#due;
    this.#due = [];
    for (let i = 0; i < due.length; i++) {
      try {
        due[i]!();
      } catch (err) {
        // Not ours to swallow: the rest still run next turn, and Node sees the error.
        const rest = due.slice(i + 1);
        if (rest.length > 0) {
          this.#due = rest.concat(this.#due);
          this.#schedule();
        }
        throw err;
      }
    }
  };
}

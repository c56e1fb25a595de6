// Progress for anything that takes more than a moment: a spinner on a terminal, plain lines
// elsewhere (CI logs, pipes), so that output stays readable in both.

import { createSpinner } from "nanospinner";
import pc from "picocolors";

export interface Progress {
  update(text: string): void;
  done(text: string, ok: boolean): void;
}

export function progress(text: string): Progress {
  if (!process.stderr.isTTY) {
    process.stderr.write(`… ${text}\n`);
    return {
      update: () => {},
      done: (final, ok) => process.stderr.write(`${ok ? "✓" : "✗"} ${final}\n`),
    };
  }
  const spinner = createSpinner(text, { stream: process.stderr }).start();
  return {
    update: (next) => spinner.update({ text: next }),
    done: (final, ok) => (ok ? spinner.success({ text: final }) : spinner.error({ text: pc.red(final) })),
  };
}

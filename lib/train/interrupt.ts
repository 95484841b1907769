// Ctrl-C / SIGTERM during a training loop: the first signal asks the loop to checkpoint after the current step
// and return; a second one leaves at once. Loops poll `requested` and call `dispose()` when they end.

export interface StopListener {
  readonly requested: boolean;
  dispose(): void;
}

export function listenForStop(): StopListener {
  let requested = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (requested) process.exit(signal === 'SIGINT' ? 130 : 143); // a second signal: leave at once
    requested = true;
    process.stderr.write(`\n[srum] ${signal}: saving a checkpoint after this step (send again to quit without saving)\n`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    get requested() {
      return requested;
    },
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

// Ctrl-C / SIGTERM during a training loop: the first signal asks the loop to checkpoint after the current step
// and return; a second one leaves at once. Loops poll `requested` (or act in `onRequest`, which also says what
// will happen) and call `dispose()` when they end.

export interface StopListener {
  readonly requested: boolean;
  dispose(): void;
}

export function listenForStop(onRequest: () => string = () => 'saving a checkpoint after this step'): StopListener {
  let requested = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (requested) process.exit(signal === 'SIGINT' ? 130 : 143); // a second signal: leave at once
    requested = true;
    process.stderr.write(`\n[srum] ${signal}: ${onRequest()} (send again to quit without saving)\n`);
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

// One way for a script to end: run main, print only the message of an error (not a stack) and exit 1.
export function runScript(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}

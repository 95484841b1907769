// The registry of `srum` subcommands; each lives in its own file beside this one.
import { Command } from './command';

export const COMMANDS: Command[] = [];

// The registry of `srum` subcommands; each lives in its own file beside this one.
import { Command } from './command';
import { evaluateCommand } from './evaluate';
import { renderCommand } from './render';
import { worldCheckCommand } from './worldCheck';

export const COMMANDS: Command[] = [renderCommand, evaluateCommand, worldCheckCommand];

// The registry of `srum` subcommands; each lives in its own file beside this one.
import { candidatesCommand } from './candidates';
import { Command } from './command';
import { compareCommand } from './compare';
import { headroomCommand } from './headroom';
import { evaluateCommand } from './evaluate';
import { gapCommand } from './gap';
import { judgeCommand } from './judge';
import { parseJudgeCommand } from './parse-judge';
import { pretrainCommand } from './pretrain';
import { renderCommand } from './render';
import { rewardMapCommand } from './rewardMap';
import { quickstartCommand } from './quickstart';
import { runCommand } from './run';
import { sweepCommand } from './sweep';
import { worldCheckCommand } from './worldCheck';

export const COMMANDS: Command[] = [
  quickstartCommand, // the main job, first in `srum --help`
  renderCommand,
  evaluateCommand,
  worldCheckCommand,
  pretrainCommand,
  gapCommand,
  rewardMapCommand,
  candidatesCommand,
  judgeCommand,
  runCommand,
  compareCommand,
  headroomCommand,
  parseJudgeCommand,
  sweepCommand,
];

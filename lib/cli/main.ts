// Entry point of the `srum` command line: `npx srum <command> [options]`, `npx srum <command> --help`.
import { Command, helpText, parseCommandArgs } from './command';
import { COMMANDS } from './commands';

function overview(commands: Command[]): string {
  const lines = ['usage: srum <command> [options]', '', 'Commands:'];
  for (const c of commands) lines.push(`  ${c.name.padEnd(14)}${c.summary}`);
  lines.push('', 'Run `srum <command> --help` for the options of one command.');
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(overview(COMMANDS));
    return;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) throw new Error(`unknown command "${name}"\n\n${overview(COMMANDS)}`);
  const values = parseCommandArgs(command, rest);
  if (values === 'help') {
    console.log(helpText(command));
    return;
  }
  await command.run(values);
}

// `srum judge --judge external` end to end: a candidates directory of rendered scenes, a local OpenAI-compatible
// server (127.0.0.1, ephemeral port, stopped by the test) answering in real VLM styles (markdown keys, headings
// without colons, one-newline regions, `.5`), the rewards JSONL it writes, and the parse summary. The same replies
// through the released parser lose the regions and the global score: the test shows both.
import * as fs from 'node:fs';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { externalConfigFromFlags, judgeCommand } from '../lib/cli/judge';
import { main } from '../lib/cli/main';
import { externalJudgeConfig, judgeExternally, judgeExternallyWithSummary, type ExternalJudgeSummary } from '../lib/judge/external';
import { makeRng } from '../lib/rng';
import { parsePrompt } from '../lib/world/grammar';
import { sceneFor } from '../lib/world/layout';
import { writePng } from '../lib/world/png';
import { blankImage, renderScene } from '../lib/world/render';

const ids = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);
/** Region replies in the styles the released regexes lose, for up to 5 regions. */
const REGION_STYLES: Array<(n: number) => string> = [
  (n) =>
    ids(n)
      .map((id) => `**Region ID: ${id}**\n**Identified Object**: a shape\n**Score**: 0.9\n**Reason**: fine`)
      .join('\n\n'),
  (n) =>
    'Here is my analysis.\n\n' +
    ids(n)
      .map((id) => `### Region ID ${id}\n- Identified Object: a shape\n- Score: .5`)
      .join('\n'),
  (n) =>
    ids(n)
      .map((id) => `Region ID: ${id}\nIdentified Object : a shape\nScore : +0.3\nReason: ok`)
      .join('\n---\n'),
];
const GLOBAL_REPLY = '**Score**: -0.4\n**Reason**: the circle is on the wrong side.';

let server: http.Server;
let baseUrl = '';
let requests = 0;
let styleAt = 0;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      requests += 1;
      const text = (JSON.parse(raw) as { messages: Array<{ content: Array<{ text?: string }> }> }).messages[0].content[1].text ?? '';
      const asked = (text.match(/Region ID: \d+\nBounding Box/g) ?? []).length;
      const global = text.includes('Global Layout and Composition Analysis');
      const content = global ? GLOBAL_REPLY : REGION_STYLES[styleAt++ % REGION_STYLES.length](asked);
      const body = JSON.stringify({ choices: [{ message: { role: 'assistant', content } }] });
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function candidatesDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'external-judge-cli-'));
  const prompts = [
    'a red circle on the left of a blue square',
    'a green triangle and a purple square',
    'a yellow circle above an orange triangle',
  ];
  const lines = prompts.map((prompt, index) => {
    const file = `${index}.png`;
    writePng(path.join(dir, file), renderScene(sceneFor(parsePrompt(prompt), makeRng(index))));
    return JSON.stringify({ image_file: file, original_prompt: prompt, category: 'spatial', index, think: false });
  });
  fs.writeFileSync(path.join(dir, 'candidates.jsonl'), lines.join('\n') + '\n');
  return dir;
}

const serverFlags = (): Record<string, string> => ({ judge: 'external', 'base-url': baseUrl, attempts: '3', 'timeout-ms': '5000' });

async function quietly<T>(run: () => Promise<T>): Promise<{ value: T; logs: string[] }> {
  const logs: string[] = [];
  const log = console.log;
  console.log = (message: string) => logs.push(message);
  try {
    return { value: await run(), logs };
  } finally {
    console.log = log;
  }
}

describe('srum judge --judge external', () => {
  it('judges every candidate, robust by default, writes training records with the parse summary', async () => {
    const dir = candidatesDir();
    const out = path.join(dir, 'rewards.jsonl');
    requests = 0;
    const flags = { ...serverFlags(), images: dir, out, 'judge-model': 'test-vlm', parse: 'robust' };
    const { logs } = await quietly(() => judgeCommand.run(flags));
    type Line = { vlm_rewards: Array<{ object: string; score: number }>; external_judge: ExternalJudgeSummary };
    const lines = fs
      .readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Line);
    expect(lines).toHaveLength(3);
    expect(requests).toBe(6); // one region and one global question per image, no retries
    for (const line of lines) {
      expect(line.vlm_rewards[0]).toMatchObject({ object: 'global_layout_reward', score: -0.4 });
      expect(line.external_judge.regionsAsked).toBeGreaterThan(0);
      expect(line.external_judge).toMatchObject({ regionsScored: line.external_judge.regionsAsked, globalParsed: true, attemptsUsed: 2 });
      expect(line.vlm_rewards).toHaveLength(1 + line.external_judge.regionsAsked);
    }
    expect(new Set(lines.flatMap((l) => l.vlm_rewards.slice(1).map((r) => r.score)))).toEqual(new Set([0.9, 0.5, 0.3]));
    expect(logs.join('\n')).toMatch(/judged 3 images \(0 already done\): regions asked \d+, regions scored \d+, /);
    expect(logs.join('\n')).toMatch(/global parsed 3\/3, attempts used 6 /);
    expect(logs.join('\n')).toMatch(/robust parser/);
    // Run again: everything is already there.
    const again = await quietly(() => judgeCommand.run(flags));
    expect(again.logs.join('\n')).toMatch(/judged 0 images \(3 already done\)/);
    fs.rmSync(dir, { recursive: true });
  });

  it('with --parse official the same replies lose every score, and the run says so', async () => {
    const dir = candidatesDir();
    const out = path.join(dir, 'rewards.jsonl');
    const flags = { ...serverFlags(), images: dir, out, 'judge-model': 'm', parse: 'official' };
    const { logs } = await quietly(() => judgeCommand.run(flags));
    // Global: 3 attempts per image. Regions: retried while the map is empty (as released); a `Region ID: 1` block
    // without a readable score ends the retries with nothing scored, so the count lies between 3 + 9 and 9 + 9.
    expect(logs.join('\n')).toMatch(/regions scored 0, global parsed 0\/3, attempts used 1[2-8]; NOTHING parsed for 3 image\(s\)/);
    fs.rmSync(dir, { recursive: true });
  });

  it('the issue case: markdown regions and a markdown global score, robust recovers them, official gets nothing', async () => {
    const image = blankImage(8, 6);
    const regions = [0, 1, 2].map((i) => ({ bbox: [i, 0, i + 2, 4] as [number, number, number, number], area: 8 }));
    styleAt = 0; // the **Region ID: 1** / **Score**: 0.9 style
    const request = { image, imageFile: 'a.png', prompt: 'p', regions };
    const robust = await judgeExternallyWithSummary(externalJudgeConfig({ baseUrl, model: 'm' }, {}), request);
    expect(robust.summary).toEqual({ regionsAsked: 3, regionsScored: 3, globalParsed: true, attemptsUsed: 2 });
    expect(robust.record.vlm_rewards.map((r) => r.score)).toEqual([0.9, 0.9, 0.9]);
    expect(robust.record.global_layout_reward?.global_layout_score).toBe(-0.4);
    styleAt = 0;
    const official = await judgeExternally(externalJudgeConfig({ baseUrl, model: 'm', parseMode: 'official' }, {}), request);
    expect(official.vlm_rewards).toEqual([]);
    expect(official.global_layout_reward?.global_layout_score).toBe(0);
  });

  it('srum run --judge external: the run judges its candidates with the VLM; the key stays out of the summary', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'external-judge-run-'));
    const out = path.join(dir, 'run');
    requests = 0;
    const tinyRun = [
      '--method',
      'srum',
      '--seed',
      '3',
      '--out',
      out,
      '--preset',
      'tiny',
      '--n-candidates',
      '3',
      '--steps',
      '2',
      '--batch-size',
      '2',
      '--candidate-steps',
      '2',
      '--eval-n',
      '14',
      '--quiet',
    ];
    const judge = ['--judge', 'external', '--base-url', baseUrl, '--judge-model', 'm', '--api-key', 'secret-key'];
    await quietly(() => main(['run', ...tinyRun, ...judge]));
    const text = fs.readFileSync(path.join(out, 'rewards.jsonl'), 'utf8');
    const records = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { external_judge?: { globalParsed: boolean } });
    expect(records).toHaveLength(3);
    expect(records.every((r) => r.external_judge?.globalParsed === true)).toBe(true);
    expect(requests).toBeGreaterThanOrEqual(3);
    const summary = fs.readFileSync(path.join(out, 'summary.json'), 'utf8');
    expect(summary).toContain('--judge external');
    expect(summary).not.toContain('secret-key');
    fs.rmSync(dir, { recursive: true });
  }, 120_000);

  it('reads base URL, model and key from the flags first, then SRUM_JUDGE_*; names what is missing', () => {
    const flags = { parse: 'robust', attempts: '2', 'timeout-ms': '100' };
    const env = { SRUM_JUDGE_BASE_URL: 'http://h/v1', SRUM_JUDGE_MODEL: 'env-model', SRUM_JUDGE_API_KEY: 'k' };
    const want = {
      baseUrl: 'http://h/v1',
      model: 'flag-model',
      apiKey: 'k',
      timeoutMs: 100,
      attempts: 2,
      parseMode: 'robust',
      clamp: false,
    };
    expect(externalConfigFromFlags({ ...flags, 'judge-model': 'flag-model' }, env)).toEqual(want);
    expect(() => externalConfigFromFlags(flags, {})).toThrow(/SRUM_JUDGE_BASE_URL/);
    expect(() => externalConfigFromFlags({ ...flags, parse: 'regex' }, env)).toThrow(/--parse must be one of official, robust/);
  });
});

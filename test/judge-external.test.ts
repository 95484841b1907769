// The external judge against a local server speaking the OpenAI chat-completions protocol (127.0.0.1, random port).
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatCompletion, externalJudgeConfig, judgeExternally, pngDataUrl } from '../lib/judge/external';
import { decodePng } from '../lib/world/png';
import { blankImage } from '../lib/world/render';

interface Seen {
  url: string;
  headers: http.IncomingHttpHeaders;
  body: {
    model: string;
    temperature: number;
    messages: Array<{ role: string; content: Array<{ type: string; text?: string; image_url?: { url: string } }> }>;
  };
}

/** Canned replies, taken in order: a completion text, or an HTTP status to fail with, or 'hang'. */
let replies: Array<string | number> = [];
const seen: Seen[] = [];
let server: http.Server;
let baseUrl = '';

const completion = (content: string): string =>
  JSON.stringify({
    id: 'x',
    object: 'chat.completion',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
  });

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      seen.push({ url: req.url ?? '', headers: req.headers, body: JSON.parse(raw) as Seen['body'] });
      const reply = replies.shift() ?? 500;
      if (reply === 'hang') return; // never answer: the client's timeout must fire
      if (typeof reply === 'number') {
        res.writeHead(reply, { 'Content-Type': 'application/json' }).end('{"error":{"message":"model overloaded"}}');
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(completion(reply));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const image = blankImage(8, 6);
const regions = [
  { bbox: [0, 0, 8, 6] as [number, number, number, number], area: 40 },
  { bbox: [1, 1, 4, 4] as [number, number, number, number], area: 8 },
];

describe('external judge (OpenAI-compatible endpoint)', () => {
  it('reads its config from options first, then SRUM_JUDGE_* variables, and names what is missing', () => {
    const env = { SRUM_JUDGE_BASE_URL: 'http://h/v1/', SRUM_JUDGE_MODEL: 'env-model', SRUM_JUDGE_API_KEY: 'k' };
    expect(externalJudgeConfig({ model: 'opt-model' }, env)).toEqual({
      baseUrl: 'http://h/v1',
      model: 'opt-model',
      apiKey: 'k',
      timeoutMs: 120000,
      attempts: 3,
      parseMode: 'robust',
      clamp: false,
    });
    expect(() => externalJudgeConfig({}, {})).toThrow(/SRUM_JUDGE_BASE_URL/);
    expect(() => externalJudgeConfig({ baseUrl: 'http://h' }, {})).toThrow(/SRUM_JUDGE_MODEL/);
  });

  it('sends model, the PNG data URL and the prompts; retries a malformed answer; returns the judge record', async () => {
    seen.length = 0;
    replies = [
      'I cannot comply with the format.', // malformed region answer: attempt 1 fails
      '<think>Region ID: 2\nScore: -1</think>**Region ID: 1**\nIdentified Object: The grey background.\nScore: 0.1\n\n**Region ID: 2**\nIdentified Object: A red square.\nScore: 0.8\nReason: right colour',
      'Score: 0.6\nReason: the square is centred',
    ];
    const config = externalJudgeConfig({ baseUrl, model: 'test-vlm', apiKey: 'secret' }, {});
    const record = await judgeExternally(config, { image, imageFile: 'a.png', prompt: 'a red square', regions });
    expect(seen).toHaveLength(3);
    for (const request of seen) {
      expect(request.url).toBe('/v1/chat/completions');
      expect(request.headers.authorization).toBe('Bearer secret');
      expect(request.body.model).toBe('test-vlm');
      expect(request.body.temperature).toBe(0);
      const [imagePart, textPart] = request.body.messages[0].content;
      expect(request.body.messages[0].role).toBe('user');
      expect(imagePart.type).toBe('image_url');
      const url = imagePart.image_url?.url ?? '';
      expect(url.startsWith('data:image/png;base64,')).toBe(true);
      const decoded = decodePng(Buffer.from(url.slice('data:image/png;base64,'.length), 'base64'));
      expect([decoded.width, decoded.height]).toEqual([8, 6]);
      expect(textPart.type).toBe('text');
    }
    expect(seen[0].body.messages[0].content[1].text).toContain('Region ID: 2\nBounding Box: [1, 1, 4, 4]');
    expect(seen[1].body.messages[0].content[1].text).toBe(seen[0].body.messages[0].content[1].text); // the retry asks again
    expect(seen[2].body.messages[0].content[1].text).toContain('Global Layout and Composition Analysis');
    expect(record).toEqual({
      image_file: 'a.png',
      prompt: 'a red square',
      vlm_rewards: [
        { identified_object: 'The grey background.', score: 0.1, bbox: [0, 0, 8, 6], area: 40 },
        { identified_object: 'A red square.', score: 0.8, reason: 'right colour', bbox: [1, 1, 4, 4], area: 8 },
      ],
      global_layout_reward: { global_layout_score: 0.6, reason: 'the square is centred', bbox: [0, 0, 8, 6], area: 48 },
      vlm_raw_output: expect.stringContaining('A red square.'),
    });
  });

  it('after 3 unparsable answers: no regional rewards and the global default 0.0 with its reason', async () => {
    seen.length = 0;
    replies = ['no', 'no', 'no', 'nope', 'nope', 'nope'];
    const config = externalJudgeConfig({ baseUrl, model: 'm' }, {});
    const record = await judgeExternally(config, { image, imageFile: 'b.png', prompt: 'p', regions });
    expect(seen).toHaveLength(6);
    expect(seen[0].headers.authorization).toBeUndefined();
    expect(record.vlm_rewards).toEqual([]);
    expect(record.global_layout_reward).toEqual({
      global_layout_score: 0,
      reason: 'VLM failed to produce a parsable output after 3 attempts.',
      bbox: [0, 0, 8, 6],
      area: 48,
    });
  });

  it('sample-level mode asks one whole-image question', async () => {
    seen.length = 0;
    replies = ['Overall Impression: a grey image\nScore: -0.5\nReason: nothing drawn'];
    const config = externalJudgeConfig({ baseUrl, model: 'm' }, {});
    const record = await judgeExternally(config, {
      image,
      imageFile: 'c.png',
      prompt: 'p',
      regions,
      mode: 'sample-level',
      globalLayout: false,
      binarizeScores: true,
    });
    expect(seen).toHaveLength(1);
    expect(seen[0].body.messages[0].content[1].text).toContain('Whole Image Analysis and Scoring');
    expect(record.vlm_rewards).toEqual([
      { identified_object: 'a grey image', score: -0.5, reason: 'nothing drawn', bbox: [0, 0, 8, 6], area: 48, binarized_score: -1 },
    ]);
    expect(record.global_layout_reward).toBeNull();
  });

  it('fails clearly on HTTP 500, on a timeout and on an unreachable server', async () => {
    const imageUrl = pngDataUrl(image);
    replies = [500];
    await expect(chatCompletion(externalJudgeConfig({ baseUrl, model: 'm' }, {}), { imageUrl, text: 'hi' })).rejects.toThrow(
      /HTTP 500 .*chat\/completions: .*model overloaded/,
    );
    replies = ['hang'];
    await expect(
      chatCompletion(externalJudgeConfig({ baseUrl, model: 'm', timeoutMs: 200 }, {}), { imageUrl, text: 'hi' }),
    ).rejects.toThrow(/no answer from .* within 200 ms/);
    // A port nobody listens on: the server's own port after closing is racy, so use port 1 (privileged, unused).
    await expect(
      chatCompletion(externalJudgeConfig({ baseUrl: 'http://127.0.0.1:1/v1', model: 'm' }, {}), { imageUrl, text: 'hi' }),
    ).rejects.toThrow(/cannot reach/);
  });
});

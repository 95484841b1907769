// An optional external judge: any VLM behind an OpenAI-compatible chat-completions endpoint, asked the released
// prompts (prompts.ts), answers parsed with up to 3 attempts (parse.ts) by the robust parser by default
// (parseRobust.ts: real VLMs write markdown the released regexes lose) or the released one (`parseMode:
// 'official'`), assembled into the same record the built-in judge writes (records.ts), with a summary of what
// parsed so that a reply with nothing parseable is reported rather than silently trained on as a flat map.
// The image goes as a PNG data URL in a standard `image_url` content part, before the text. Temperature 0, as
// the released pipeline asks its judge.
// HTTP failures are errors (not retried): the 3-attempt rule is for answers that do not parse.
import { encodePng } from '../world/png';
import { RgbImage } from '../world/types';
import { globalLayoutPrompt, hybridRegionPrompt, numberRegions, sampleLevelPrompt } from './prompts';
import { ParsedGlobal, ParsedRegion, ParsedSample, parseSampleLevel, withRetries } from './parse';
import { ParseMode, globalParser, regionParser } from './parseModes';
import { Box, JudgeRecord, buildJudgeRecord } from './records';

export interface ExternalJudgeConfig {
  /** Base URL up to the API version, e.g. http://127.0.0.1:8000/v1 (".../chat/completions" is appended). */
  baseUrl: string;
  model: string;
  /** Sent as "Authorization: Bearer <key>" when set. */
  apiKey?: string;
  /** Per request. */
  timeoutMs: number;
  /** Attempts per query while the answer does not parse (released: 3). */
  attempts: number;
  maxTokens?: number;
  /** Parser for the answers: 'robust' (default) or 'official' (the released regexes). */
  parseMode: ParseMode;
  /** Clamp parsed scores to [-1, 1] (default false, as released). */
  clamp: boolean;
}

export const DEFAULT_TIMEOUT_MS = 120_000;

/** Options win over the environment (SRUM_JUDGE_BASE_URL, SRUM_JUDGE_MODEL, SRUM_JUDGE_API_KEY). */
export function externalJudgeConfig(options: Partial<ExternalJudgeConfig> = {}, env: NodeJS.ProcessEnv = process.env): ExternalJudgeConfig {
  const baseUrl = options.baseUrl ?? env.SRUM_JUDGE_BASE_URL;
  const model = options.model ?? env.SRUM_JUDGE_MODEL;
  if (!baseUrl) throw new Error('external judge: no base URL (pass baseUrl or set SRUM_JUDGE_BASE_URL, e.g. http://127.0.0.1:8000/v1)');
  if (!model) throw new Error('external judge: no model name (pass model or set SRUM_JUDGE_MODEL)');
  const apiKey = options.apiKey ?? env.SRUM_JUDGE_API_KEY;
  return {
    baseUrl: baseUrl.replace(/\/+$/, ''),
    model,
    ...(apiKey ? { apiKey } : {}),
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    attempts: options.attempts ?? 3,
    parseMode: options.parseMode ?? 'robust',
    clamp: options.clamp ?? false,
    ...(options.maxTokens !== undefined ? { maxTokens: options.maxTokens } : {}),
  };
}

export function pngDataUrl(image: RgbImage): string {
  return `data:image/png;base64,${encodePng(image).toString('base64')}`;
}

/** The text of the first choice; servers send a string or a list of text parts. */
function completionText(body: unknown, url: string): string {
  const content = (body as { choices?: Array<{ message?: { content?: unknown } }> })?.choices?.[0]?.message?.content;
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content.map((part: { text?: unknown } | null) => (typeof part?.text === 'string' ? part.text : '')).join('');
  }
  if (content === null) return '';
  throw new Error(`external judge: the answer from ${url} has no choices[0].message.content: ${JSON.stringify(body).slice(0, 200)}`);
}

/** One chat completion: the image and a text prompt in, the answer's text out. */
export async function chatCompletion(config: ExternalJudgeConfig, request: { imageUrl: string; text: string }): Promise<string> {
  const url = `${config.baseUrl}/chat/completions`;
  const body = {
    model: config.model,
    messages: [
      {
        role: 'user',
        content: [
          { type: 'image_url', image_url: { url: request.imageUrl } },
          { type: 'text', text: request.text },
        ],
      },
    ],
    temperature: 0,
    ...(config.maxTokens !== undefined ? { max_tokens: config.maxTokens } : {}),
  };
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(config.apiKey ? { Authorization: `Bearer ${config.apiKey}` } : {}) },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(config.timeoutMs),
    });
  } catch (error) {
    const e = error as Error;
    if (e.name === 'TimeoutError' || e.name === 'AbortError') {
      throw new Error(`external judge: no answer from ${url} within ${config.timeoutMs} ms`, { cause: error });
    }
    throw new Error(`external judge: cannot reach ${url}: ${(e.cause as Error | undefined)?.message ?? e.message}`, { cause: error });
  }
  const text = await response.text();
  if (!response.ok) throw new Error(`external judge: HTTP ${response.status} ${response.statusText} from ${url}: ${text.slice(0, 300)}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`external judge: the answer from ${url} is not JSON: ${text.slice(0, 200)}`);
  }
  return completionText(parsed, url);
}

export interface ExternalJudgeRequest {
  image: RgbImage;
  imageFile: string;
  prompt: string;
  /** Region proposals (propose.ts), in Region ID order; ignored in sample-level mode. */
  regions: ReadonlyArray<{ bbox: Box; area: number }>;
  /** 'regions' (default): hybrid region prompt; 'sample-level': one whole-image score instead. */
  mode?: 'regions' | 'sample-level';
  /** Also ask the global layout prompt (default true). */
  globalLayout?: boolean;
  binarizeScores?: boolean;
}

/** What parsed for one image. */
export interface ExternalJudgeSummary {
  /** Regions put to the judge (0 in sample-level mode). */
  regionsAsked: number;
  /** Regions whose answer carried a score (those become reward entries). */
  regionsScored: number;
  /** The global layout answer parsed (false also when it was not asked). */
  globalParsed: boolean;
  /** Chat completions made, retries included. */
  attemptsUsed: number;
}

/** Judge one image with the external VLM: the released judge record and what parsed. */
export async function judgeExternallyWithSummary(
  config: ExternalJudgeConfig,
  request: ExternalJudgeRequest,
): Promise<{ record: JudgeRecord; summary: ExternalJudgeSummary }> {
  const imageUrl = pngDataUrl(request.image);
  const ask = (text: string) => () => chatCompletion(config, { imageUrl, text });
  const parseOptions = { mode: config.parseMode, clamp: config.clamp };
  const summary: ExternalJudgeSummary = { regionsAsked: 0, regionsScored: 0, globalParsed: false, attemptsUsed: 0 };
  let parsedRegions: Map<number, ParsedRegion> | null | undefined;
  let parsedSample: ParsedSample | null | undefined;
  let rawOutput = '';
  if (request.mode === 'sample-level') {
    const parse = (text: string): ParsedSample | null => parseSampleLevel(text, { clamp: config.clamp });
    const result = await withRetries(ask(sampleLevelPrompt(request.prompt)), parse, config.attempts);
    [parsedSample, rawOutput] = [result.parsed, result.raw];
    summary.attemptsUsed += result.attempts;
  } else if (request.regions.length > 0) {
    const prompt = hybridRegionPrompt(request.prompt, numberRegions(request.regions.map((r) => r.bbox)));
    const result = await withRetries(ask(prompt), regionParser(parseOptions), config.attempts);
    [parsedRegions, rawOutput] = [result.parsed, result.raw];
    summary.regionsAsked = request.regions.length;
    summary.regionsScored = request.regions.filter((_, i) => result.parsed?.get(i + 1)?.score !== undefined).length;
    summary.attemptsUsed += result.attempts;
  }
  let parsedGlobal: ParsedGlobal | null | undefined;
  if (request.globalLayout ?? true) {
    const result = await withRetries(ask(globalLayoutPrompt(request.prompt)), globalParser(parseOptions), config.attempts);
    parsedGlobal = result.parsed;
    summary.globalParsed = result.parsed !== null;
    summary.attemptsUsed += result.attempts;
  }
  const record = buildJudgeRecord({
    imageFile: request.imageFile,
    prompt: request.prompt,
    width: request.image.width,
    height: request.image.height,
    regions: request.regions,
    attempts: config.attempts,
    rawOutput,
    ...(parsedRegions !== undefined ? { parsedRegions } : {}),
    ...(parsedSample !== undefined ? { parsedSample } : {}),
    ...(parsedGlobal !== undefined ? { parsedGlobal } : {}),
    ...(request.binarizeScores !== undefined ? { binarizeScores: request.binarizeScores } : {}),
  });
  return { record, summary };
}

/** Judge one image with the external VLM; returns the released judge record. */
export async function judgeExternally(config: ExternalJudgeConfig, request: ExternalJudgeRequest): Promise<JudgeRecord> {
  return (await judgeExternallyWithSummary(config, request)).record;
}

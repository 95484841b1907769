// One SrumConfig from the command line to the loss: `srum run --set key=value` for any setting, an unknown key is an
// error naming every valid key, a shorthand flag and --set land in the same field, the two recipes, and the
// one place SFT and lambda_c = 0 are resolved (lossSettings).
import { describe, expect, it } from 'vitest';
import { helpText } from '../lib/cli/command';
import { runCommand, runConfigFromArgs, RUN_SHORTHANDS } from '../lib/cli/run';
import { DEFAULT_PIPELINE_CONFIG, parseRunSettings, resolveRunConfig, RUN_SETTING_KEYS } from '../lib/run/config';
import { DEFAULT_SRUM_CONFIG, resolveSrumConfig, SRUM_RECIPE_OVERRIDES } from '../lib/train/srum-config';
import { lossSettings } from '../lib/train/srum-objective';

describe('srum run --set', () => {
  it('is listed by `srum run --help`, with every valid key', () => {
    const help = helpText(runCommand);
    expect(help).toMatch(/--set <value>/);
    for (const key of RUN_SETTING_KEYS) expect(help).toContain(key);
  });

  it('an unknown key is an error that names it and lists every valid key', () => {
    let message = '';
    try {
      runConfigFromArgs({ set: 'lambdaC=0.5,lamda=0.3' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/unknown setting 'lamda'/);
    for (const key of [...Object.keys(DEFAULT_SRUM_CONFIG), ...Object.keys(DEFAULT_PIPELINE_CONFIG)]) expect(message).toContain(key);
    expect(() => resolveRunConfig({ lamda: 0.3 })).toThrow(/valid keys: method, rewardMode, lambdaC/);
  });

  it("reads each value as its setting's type, and refuses what does not fit", () => {
    expect(parseRunSettings('lambdaC=0.5,rewardMode=signed,advantage=true,evalN=56,think=false')).toEqual({
      lambdaC: 0.5,
      rewardMode: 'signed',
      advantage: true,
      evalN: 56,
      think: false,
    });
    expect(() => parseRunSettings('lambdaC=high')).toThrow(/'lambdaC' takes a number, got 'high'/);
    expect(() => parseRunSettings('advantage=yes')).toThrow(/'advantage' takes true or false/);
    expect(() => parseRunSettings('lambdaC')).toThrow(/expected key=value/);
    expect(() => parseRunSettings('lambdaC=1,lambdaC=2')).toThrow(/given twice/);
    expect(() => runConfigFromArgs({ set: 'rewardMode=dense' })).toThrow(/rewardMode' must be one of official, signed/);
    expect(() => runConfigFromArgs({ set: 'evalN=0' })).toThrow(/evalN' must be a positive integer/);
  });

  it('sets any field: every SrumConfig and pipeline key reaches the resolved config', () => {
    const changed: Record<string, string> = {
      method: 'sft',
      rewardMode: 'sparse',
      lambdaC: '0.25',
      reference: 'ground-truth',
      positiveOnly: 'true',
      advantage: 'true',
      lossGuidance: '2',
      planWeight: '0.5',
      planReward: 'positive',
      imageWeight: '0.5',
      thinkLearningRate: '0.001',
      thinkBackbone: 'true',
      learningRate: '0.002',
      warmupSteps: '3',
      beta1: '0.8',
      beta2: '0.9',
      epsilon: '1e-8',
      weightDecay: '0.01',
      clipNorm: '2',
      emaDecay: '0.9',
      steps: '7',
      learningRateSchedule: 'constant',
      minLearningRateRatio: '0.2',
      emaWarmup: 'false',
      replayWeight: '0.5',
      replayBatchSize: '3',
      replayPlanHeadOnly: 'true',
      replayScope: 'understanding',
      replayMoments: 'own',
      batchSize: '4',
      seed: '9',
      timestepShift: '2',
      textDropProb: '0.2',
      minTimestep: '0.25',
      logEvery: '3',
      checkpointEvery: '5',
      nCandidates: '8',
      candidateSteps: '5',
      candidateGuidance: '1',
      candidatePrompts: 'held-out',
      planTemperature: '0.7',
      think: 'false',
      evalN: '14',
      evalSplit: 'val',
      evalSeed: '4',
    };
    expect(Object.keys(changed).sort()).toEqual([...RUN_SETTING_KEYS].sort()); // the list above covers every key
    const { config } = runConfigFromArgs({
      set: Object.entries(changed)
        .map(([k, v]) => `${k}=${v}`)
        .join(','),
    });
    const resolved: Record<string, unknown> = { ...config.srum, ...config.pipeline };
    const defaults: Record<string, unknown> = { ...DEFAULT_SRUM_CONFIG, ...DEFAULT_PIPELINE_CONFIG };
    for (const [key, text] of Object.entries(changed)) {
      const expected = text === 'true' ? true : text === 'false' ? false : Number.isNaN(Number(text)) ? text : Number(text);
      expect(resolved[key], key).toEqual(expected);
      expect(expected, `${key} differs from its default`).not.toEqual(defaults[key]);
    }
  });

  it('a shorthand flag and --set land in the same field; both at once is an error', () => {
    const byFlag = runConfigFromArgs({ lambda: '0.5', mode: 'signed', advantage: true, think: 'off', 'eval-n': '28' }).config;
    const bySet = runConfigFromArgs({ set: 'lambdaC=0.5,rewardMode=signed,advantage=true,think=false,evalN=28' }).config;
    expect(byFlag).toEqual(bySet);
    expect(byFlag.srum.lambdaC).toBe(0.5);
    expect(() => runConfigFromArgs({ lambda: '0.5', set: 'lambdaC=0.3' })).toThrow(/--lambda and --set lambdaC= both set lambdaC/);
    expect(() => runConfigFromArgs({ method: 'dpo' })).toThrow(/--method must be one of srum, sft/);
    for (const [flag, { key }] of Object.entries(RUN_SHORTHANDS)) expect(RUN_SETTING_KEYS, flag).toContain(key);
  });

  it('with no flags gives the defaults, which are the released recipe', () => {
    const { config, recipe } = runConfigFromArgs({});
    expect(recipe).toBe('released');
    expect(config).toEqual({ srum: DEFAULT_SRUM_CONFIG, pipeline: DEFAULT_PIPELINE_CONFIG });
    expect(SRUM_RECIPE_OVERRIDES.released).toEqual({});
  });
});

describe('recipes', () => {
  it("'paper' is the paper's text: signed R, lambda_c 0.5, an artifact-free x0_gt; overrides still apply on top", () => {
    const paper = resolveSrumConfig({}, 'paper');
    expect([paper.rewardMode, paper.lambdaC, paper.reference]).toEqual(['signed', 0.5, 'ground-truth']);
    expect({ ...paper, rewardMode: 'official', lambdaC: 0.1, reference: 'candidate' }).toEqual(DEFAULT_SRUM_CONFIG);
    expect(runConfigFromArgs({ recipe: 'paper', lambda: '0.2' }).config.srum.lambdaC).toBe(0.2);
    expect(() => runConfigFromArgs({ recipe: 'blog' })).toThrow(/--recipe must be one of released, paper/);
  });
});

describe('lossSettings', () => {
  it('resolves SFT (R = 1, lambda_c = 0) and lambda_c = 0 (no x0_gt built) in one place', () => {
    const srum = lossSettings(resolveSrumConfig({ reference: 'ground-truth', lambdaC: 0.5, advantage: true, positiveOnly: true }));
    expect(srum).toEqual({ rewardWeighted: true, lambdaC: 0.5, centred: true, positiveOnly: true, groundTruthReference: true });
    const sftConfig = resolveSrumConfig({ method: 'sft', reference: 'ground-truth', lambdaC: 0.5, advantage: true, positiveOnly: true });
    const sft = lossSettings(sftConfig);
    expect(sft).toEqual({ rewardWeighted: false, lambdaC: 0, centred: false, positiveOnly: false, groundTruthReference: false });
    expect(lossSettings(resolveSrumConfig({ reference: 'ground-truth', lambdaC: 0 })).groundTruthReference).toBe(false);
  });
});

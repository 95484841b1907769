// `srum autoencoder`: train the latent autoencoder of latent generation (lib/train/autoencoder.ts) on world renders
// of the train split; resumes when --out already holds an unfinished run. A finished one is left as it is.
import { initBackend } from '../backend/select';
import { DEFAULT_AUTOENCODER_CONFIG } from '../model/autoencoder';
import { DEFAULT_AUTOENCODER_DIR, DEFAULT_AUTOENCODER_TRAIN, trainAutoencoder } from '../train/autoencoder';
import { Command, intOption, numberOption } from './command';

export const autoencoderCommand: Command = {
  name: 'autoencoder',
  summary: 'train the image autoencoder that latent models (--model latentChannels=L) generate in (resumable)',
  options: {
    out: { type: 'string', help: 'output folder (manifest.json, weights.bin, log.jsonl)', default: DEFAULT_AUTOENCODER_DIR },
    steps: { type: 'string', help: 'optimizer steps', default: String(DEFAULT_AUTOENCODER_TRAIN.steps) },
    'batch-size': { type: 'string', help: 'images per step', default: String(DEFAULT_AUTOENCODER_TRAIN.batchSize) },
    lr: { type: 'string', help: 'AdamW learning rate (50 warm-up steps)', default: String(DEFAULT_AUTOENCODER_TRAIN.learningRate) },
    'noise-max': { type: 'string', help: 'largest std of the noise on the latent while the decoder trains', default: String(DEFAULT_AUTOENCODER_TRAIN.noiseMax) },
    'latent-channels': { type: 'string', help: 'channels L of the 8x8 latent', default: String(DEFAULT_AUTOENCODER_CONFIG.latentChannels) },
    seed: { type: 'string', help: 'seed of weights, data and noise', default: '0' },
    quiet: { type: 'boolean', help: 'no progress bar', default: false },
  },
  async run(values) {
    await initBackend();
    const out = String(values.out);
    const train = { steps: intOption(values, 'steps'), batchSize: intOption(values, 'batch-size'), learningRate: numberOption(values, 'lr', DEFAULT_AUTOENCODER_TRAIN.learningRate), noiseMax: numberOption(values, 'noise-max', DEFAULT_AUTOENCODER_TRAIN.noiseMax), seed: intOption(values, 'seed') };
    if (!(train.steps > 0 && train.batchSize > 0 && train.learningRate > 0 && train.noiseMax >= 0)) throw new Error('--steps, --batch-size and --lr must be positive, --noise-max >= 0');
    const latentChannels = intOption(values, 'latent-channels');
    const command = `npx srum autoencoder --out ${out} --steps ${train.steps} --batch-size ${train.batchSize} --lr ${train.learningRate} --noise-max ${train.noiseMax} --latent-channels ${latentChannels} --seed ${train.seed}`;
    const manifest = trainAutoencoder({ out, train, config: { latentChannels }, quiet: values.quiet === true, command });
    console.log(`autoencoder ${manifest.finished ? 'finished' : 'stopped'} at step ${manifest.step}: reconstruction loss ${manifest.lastLoss.toFixed(5)}; ${out} (${manifest.wallSeconds.toFixed(0)} s of training)`);
  },
};

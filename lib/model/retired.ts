// Model options retired on 2026-12-06 (issue 37): each was off in the shipped model and measured as no gain
// (docs/model-notes.md, "Retired options (2026-12-06)"). Their code is on the commit named below.
// Checkpoints written before then list every option in their manifest: a retired option at its old default
// (off) is dropped silently, so they still load; one switched on names the commit that can still run it.

/** The last commit with the retired options' code: `git checkout` it to run or read them. */
export const RETIRED_OPTIONS_COMMIT = '134332ab8d289055e665737367aadb07d304b10d';

/** Each retired option with the value that meant "off" (its default when it was retired). */
export const RETIRED_MODEL_OPTIONS: Readonly<Record<string, boolean | number>> = {
  sincosImagePositions: false,
  unetChannels: 0,
  refineFeatures: 0,
  timeModulation: false,
  selfCondition: false,
  alignLayer: 0,
  latentChannels: 0,
};

/**
 * The options without the retired ones; throws when a retired option is set to anything but its old default
 * (the model it describes cannot be built here).
 */
export function withoutRetiredOptions(options: Record<string, unknown>): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (!Object.prototype.hasOwnProperty.call(RETIRED_MODEL_OPTIONS, key)) kept[key] = value;
    else if (value !== RETIRED_MODEL_OPTIONS[key]) {
      const off = JSON.stringify(RETIRED_MODEL_OPTIONS[key]);
      throw new Error(
        `model option '${key}' was retired (measured as no gain, docs/model-notes.md "Retired options (2026-12-06)"); ` +
          `only ${key} = ${off} is accepted, got ${JSON.stringify(value)}. Its code is on commit ${RETIRED_OPTIONS_COMMIT}: ` +
          `git checkout ${RETIRED_OPTIONS_COMMIT.slice(0, 12)}`,
      );
    }
  }
  return kept;
}

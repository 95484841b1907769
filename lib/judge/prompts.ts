// The released pipeline's three judge prompts (paper Appendix C, Tables 6 and 7), as text builders.
// The text is the paper's, with its typesetting artefacts undone (`\star\star` -> `**`, "Scoring Guide: **" ->
// "Scoring Guide:**", the output-line quotes as markdown backticks, as in the released code), plus:
//   - the global prompt's third, neutral example (released code: a prompt with no spatial intent scores 0.2);
//   - blank lines between the example answers, so a model that copies the example layout writes the blank-line
//     separated blocks the released parser splits on (parse.ts);
//   - regions_text as the released code writes it: per region "Region ID: n\nBounding Box: [x1, y1, x2, y2]\n---\n"
//     (ids from 1 in list order; the box as Python prints a list of ints).
// The sample-level prompt is not in the paper; it follows the released code's structure (Overall Impression,
// Score, Reason) with the same rubric wording adapted to the whole image.
import { Box } from './records';

export interface PromptRegion {
  /** Region ID as the judge sees it (the released code numbers regions 1..n in proposal order). */
  id: number;
  bbox: Box;
}

/** Region IDs 1..n for proposals in order (the released numbering). */
export function numberRegions(boxes: readonly Box[]): PromptRegion[] {
  return boxes.map((bbox, i) => ({ id: i + 1, bbox }));
}

function formatBox(bbox: Box): string {
  return `[${bbox.map((v) => String(v)).join(', ')}]`;
}

/** Paper Table 6 (create_global_layout_reward_prompt) plus the released neutral example. */
export function globalLayoutPrompt(originalPrompt: string): string {
  return `# TASK: Global Layout and Composition Analysis
You are an expert image analyst. Your task is to score the overall composition of an image based on a user's prompt. Focus solely \
on how the arrangement of elements and scene structure align with the prompt's spatial intent.

**Original Prompt:** "${originalPrompt}"
---
## YOUR TASK & OUTPUT FORMAT
Provide a single score from **-1.0 to 1.0** and a brief reason.

* **Scoring Guide:**
    * **1.0:** Perfect alignment with the prompt's spatial intent.
    * **0.5 to 0.9:** Mostly correct layout with minor flaws.
    * **-0.4 to 0.4:** Neutral. No specific spatial info in prompt, or generic layout.
    * **-0.9 to -0.5:** Incorrect layout or contradictory to the prompt.
    * **-1.0:** Fundamentally contradicts the prompt's spatial intent.

* **Output Lines:**
    \`Score: [A single number between -1.0 and 1.0]\`
    \`Reason: [Your justification]\`
---
## DIVERSE EXAMPLES

### Example 1 (Perfect Alignment)
Score: 0.95
Reason: The wide shot of a sunset over the ocean perfectly matches the prompt's implied composition.

### Example 2 (Contradictory Layout)
Score: -0.7
Reason: The cat is on the right of the dog, but the prompt asked for the cat on the left.

### Example 3 (Neutral Layout)
Score: 0.2
Reason: The prompt 'a picture of a tree' has no specific compositional requirements, so the layout is neutral.
---
Begin your analysis now.
`;
}

/** Paper Table 7 (create_hybrid_evaluation_prompt): identify, then score, every listed region. */
export function hybridRegionPrompt(originalPrompt: string, regions: readonly PromptRegion[]): string {
  const regionsText = regions.map((r) => `Region ID: ${r.id}\nBounding Box: ${formatBox(r.bbox)}\n---\n`).join('');
  return `# TASK: Integrated Region Analysis and Scoring
You are an expert AI image analyst. Your task is to analyze unlabeled regions in an image based on a user's prompt. For each \
region, you will perform a two-stage analysis.

**Original Prompt:** "${originalPrompt}"
---
**UNLABELED REGIONS FOR YOUR ANALYSIS:**
${regionsText}
---
## YOUR TWO-STAGE TASK & OUTPUT FORMAT
For **every Region ID** listed above, you must perform the following steps.

### STAGE 1: Identify Object
First, identify the primary object within the bounding box.
* **Output Line:** \`Identified Object: [Your description of the object]\`

### STAGE 2: Score and Justify
Provide a single, overall score from **-1.0 to 1.0** that considers BOTH the object's **relevance** to the prompt and its \
**visual quality**. You must provide a clear reason for your score. Be as strict as possible and only give full marks when the \
image quality is beyond doubt.

* **Scoring Guide:**
    * **1.0:** Perfect. The object is exactly what the prompt asks for and is technically flawless and perfect.
    * **0.5 to 0.9:** Very good. A highly relevant object with minor flaws, or a well-executed secondary element.
    * **-0.4 to 0.4:** Neutral/Acceptable. A moderately relevant object, an object with mixed qualities, or an irrelevant but \
harmless background element. A score of 0.0 is perfectly neutral.
    * **-0.9 to -0.5:** Bad. The object is irrelevant and distracting, or it is a relevant object with severe visual artifacts/flaws.
    * **-1.0:** Very Bad. The object actively undermines the image and directly contradicts the prompt's intent.

* **Output Lines:**
    \`Score: [A single number between -1.0 and 1.0]\`
---
## EXAMPLE OUTPUT STRUCTURE
**Region ID: 1**
Identified Object: A running golden retriever.
Score: 0.95

**Region ID: 2**
Identified Object: A tall green tree in the background.
Score: 0.2
---
Begin your analysis now.
`;
}

/** The "sample reward" ablation: one score for the whole image (released create_sample_level_evaluation_prompt). */
export function sampleLevelPrompt(originalPrompt: string): string {
  return `# TASK: Whole Image Analysis and Scoring
You are an expert AI image analyst. Your task is to analyze the entire image based on a user's prompt and provide a single, overall score.

**Original Prompt:** "${originalPrompt}"
---
## YOUR TASK & OUTPUT FORMAT

### STAGE 1: Overall Impression
First, briefly describe your overall impression of the image in relation to the prompt.
* **Output Line:** \`Overall Impression: [Your description]\`

### STAGE 2: Score and Justify
Provide a single, overall score from **-1.0 to 1.0** that considers how well the entire image satisfies the prompt, including its \
**relevance** and **visual quality**. Be as strict as possible and only give full marks when the image quality is beyond doubt.

* **Scoring Guide:**
    * **1.0:** Perfect. The image is exactly what the prompt asks for and is technically flawless.
    * **0.5 to 0.9:** Very good. A highly relevant image with minor flaws.
    * **-0.4 to 0.4:** Neutral/Acceptable. A moderately relevant image or an image with mixed qualities.
    * **-0.9 to -0.5:** Bad. The image is largely irrelevant or has severe visual flaws.
    * **-1.0:** Very Bad. The image actively undermines the prompt's intent.

* **Output Lines:**
    \`Score: [A single number between -1.0 and 1.0]\`
    \`Reason: [Your justification for the score]\`
---
## EXAMPLE OUTPUT STRUCTURE
Overall Impression: A well-composed photo of a golden retriever running in a field.
Score: 0.95
Reason: The image perfectly captures the prompt's subject with good lighting and focus.
---
Begin your analysis now.
`;
}

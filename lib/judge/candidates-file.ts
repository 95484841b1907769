// candidates.jsonl, the file of candidate images every judge reads (the self-judge, lib/run/judge.ts; an external
// VLM, externalCandidates.ts) and `srum candidates` / `srum run` write (lib/run/candidates.ts). It lives in the judge
// layer, the lowest that reads it, so imports keep pointing down the pipeline (test/imports.test.ts).

export const CANDIDATES_JSONL = 'candidates.jsonl';

/** One line of candidates.jsonl. */
export interface CandidateLine {
  /** The PNG, relative to the candidates directory. */
  image_file: string;
  original_prompt: string;
  category: string;
  index: number;
  think: boolean;
  /** Think mode: the plan the image was generated from, [PLAN_SLOTS * PLAN_FIELDS] (lib/model/plan.ts). */
  plan?: number[];
}

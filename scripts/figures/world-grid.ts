// Figure: one rendered test scene per category, captioned with its prompt and the independent evaluator's
// verdict, and a contradicting prompt (one thing changed) that the evaluator rejects on the same image.
// Regenerate: npx ts-node scripts/figures/world-grid.ts [--seed N]   -> figures/world-grid.{png,svg}
import { closeExporter, exportPngAndSvg, imageGrid } from '../../lib/plot';
import { evaluateImage } from '../../lib/eval/evaluate';
import { makeRng } from '../../lib/rng';
import { sceneFor } from '../../lib/world/layout';
import { renderScene } from '../../lib/world/render';
import { contradict } from '../../lib/world/sample';
import { samplePrompts } from '../../lib/world/splits';
import { RgbImage } from '../../lib/world/types';

async function main(): Promise<void> {
  const seedIndex = process.argv.indexOf('--seed');
  const seed = seedIndex > 0 ? Number(process.argv[seedIndex + 1]) : 1;
  const rng = makeRng(seed).fork('world-grid');
  const images: RgbImage[] = [];
  const titles: string[] = [];
  for (const prompt of samplePrompts({ split: 'test', n: 14, seed })) {
    const scene = sceneFor(prompt, rng, { allowHeldOut: true });
    const image = renderScene(scene);
    const contra = contradict(prompt, scene, rng);
    const mark = (passed: boolean): string => (passed ? '✓' : '✗');
    images.push(image);
    titles.push(
      `<b>${prompt.category}</b><br>${prompt.text} ${mark(evaluateImage(image, prompt).passed)}<br><i>${contra.text}</i> ${mark(evaluateImage(image, contra).passed)}`,
    );
  }
  const figure = imageGrid(images, {
    titles,
    columns: 7,
    cellSize: 150,
    title: `The synthetic world: one test scene per category (seed ${seed}); evaluator verdicts on its prompt and on a contradicting one (italic)`,
  });
  await exportPngAndSvg(figure, 'figures/world-grid');
  await closeExporter();
  console.log('wrote figures/world-grid.png and figures/world-grid.svg');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

import { makeRng } from '../lib/rng';
import { sceneFor } from '../lib/world/layout';
import { samplePrompts } from '../lib/world/splits';
import { visibleMask } from '../lib/train/queries';
let scenes = 0, touching = 0; const ex: string[] = [];
for (const split of ['train', 'test'] as const) {
  const prompts = samplePrompts({ split, n: 3000, seed: 1 });
  const rng = makeRng(1);
  prompts.forEach((p, k) => {
    let scene; try { scene = sceneFor(p, rng.fork(`s${k}`), { allowHeldOut: split === 'test' }); } catch { return; }
    scenes++;
    const masks = scene.objects.map((o) => visibleMask(o, scene));
    const W = scene.width;
    for (let i = 0; i < scene.objects.length; i++) for (let j = i + 1; j < scene.objects.length; j++) {
      if (scene.objects[i].color !== scene.objects[j].color) continue;
      let t = false;
      for (let q = 0; q < masks[i].length && !t; q++) if (masks[i][q]) { const x = q % W, y = Math.floor(q / W); for (const [dx, dy] of [[0,0],[1,0],[-1,0],[0,1],[0,-1]]) { const xx = x + dx, yy = y + dy; if (xx >= 0 && yy >= 0 && xx < W && yy < W && masks[j][yy * W + xx]) t = true; } }
      if (t) { touching++; if (ex.length < 5) ex.push(p.text); }
    }
  });
}
console.log({ scenes, touching, ex });

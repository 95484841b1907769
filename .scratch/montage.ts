import { readPng, writePng } from '../lib/world/png';
const [out, scaleS, ...files] = process.argv.slice(2);
const scale = Number(scaleS);
const imgs = files.map((f) => readPng(f));
const W = imgs.reduce((a, im) => a + im.width * scale + 4, 0), H = Math.max(...imgs.map((im) => im.height * scale));
const data = new Float32Array(W * H * 3).fill(1);
let x0 = 0;
for (const im of imgs) {
  for (let y = 0; y < im.height * scale; y++) for (let x = 0; x < im.width * scale; x++) {
    const s = (Math.floor(y / scale) * im.width + Math.floor(x / scale)) * 3, d = (y * W + x0 + x) * 3;
    data[d] = im.data[s]; data[d + 1] = im.data[s + 1]; data[d + 2] = im.data[s + 2];
  }
  x0 += im.width * scale + 4;
}
writePng(out, { width: W, height: H, data });

// The comparison for bench/sentiment.c: the npm `sentiment` package (AFINN,
// MIT) on the same texts, one per line in the file given. Prints one line:
// texts/s of wall time, then texts per CPU-second of the process (user and
// system, as process.cpuUsage counts them). Keeps going for at least the
// given seconds after a warm-up.
const fs = require('fs');
const Sentiment = require('sentiment');
const texts = fs.readFileSync(process.argv[2], 'utf8').split('\n').filter((s) => s.length);
const seconds = Number(process.argv[3] || 2);
const s = new Sentiment();
let sink = 0;
for (const t of texts) sink += s.analyze(t).score; // warm-up, JIT
let n = 0;
const t0 = process.hrtime.bigint();
const cpu0 = process.cpuUsage();
let elapsed = 0;
while (elapsed < seconds) {
  for (const t of texts) sink += s.analyze(t).score;
  n += texts.length;
  elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
}
const cpu = process.cpuUsage(cpu0);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
console.log((n / elapsed).toFixed(0), (n / cpuSeconds).toFixed(0), sink === 0.5 ? '' : '');

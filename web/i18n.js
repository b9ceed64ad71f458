// i18n: the desk in Swedish, Finnish or English. The language comes from
// the browser's preference until the user picks one, which is remembered.
// Dates and numbers go through Intl in that language; times are shown in
// the workspace's time zone, since a desk plans in its own local time.
export const LANGS = ["sv", "fi", "en"];
const KEY = "kanal.lang";
let strings = {};
let lang = "en";

export function chooseLang() {
  const saved = localStorage.getItem(KEY);
  if (LANGS.includes(saved)) return saved;
  for (const l of navigator.languages || [navigator.language]) {
    const base = String(l).toLowerCase().split("-")[0];
    if (LANGS.includes(base)) return base;
  }
  return "en";
}

export async function setLang(l, remember) {
  const res = await fetch(`/i18n/${l}.json`);
  if (!res.ok) throw new Error(`the ${l} translation could not be loaded (${res.status})`);
  strings = await res.json();
  lang = l;
  document.documentElement.lang = l;
  if (remember) localStorage.setItem(KEY, l);
}

export function currentLang() {
  return lang;
}

// t("error.load", {what, why}): the string with {name} filled in. A missing key
// shows itself, so that it is seen (and the key test catches it first).
export function t(key, vars) {
  const s = strings[key] ?? key;
  return vars ? s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m)) : s;
}

// Making an Intl formatter costs far more than formatting with one (about
// a quarter of a millisecond each, which a calendar week did a thousand
// times), so the plain number format is kept per language.
let numberFormat = null;

export function fmtNumber(n, opts) {
  if (n === null || n === undefined) return "–";
  if (opts) return new Intl.NumberFormat(lang, opts).format(n);
  if (numberFormat?.lang !== lang) numberFormat = { lang, f: new Intl.NumberFormat(lang) };
  return numberFormat.f.format(n);
}

export function fmtPercent(n, digits = 1) {
  return fmtNumber(n, { style: "percent", maximumFractionDigits: digits });
}

export function fmtTime(iso, zone) {
  if (!iso) return "–";
  return new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short", timeZone: zone })
    .format(new Date(iso));
}

export function fmtDay(day) {
  // A calendar day (YYYY-MM-DD) as the reader writes it.
  const [y, m, d] = day.split("-").map(Number);
  return new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeZone: "UTC" })
    .format(new Date(Date.UTC(y, m - 1, d)));
}

// The wall-clock time in zone of a UTC instant, as YYYY-MM-DDTHH:MM:SS.
// One formatter per zone, made once (see fmtNumber).
const zoneFormats = new Map();

export function toZoned(ms, zone) {
  let f = zoneFormats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-GB", {
      timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit",
    });
    zoneFormats.set(zone, f);
  }
  const p = {};
  for (const x of f.formatToParts(new Date(ms))) p[x.type] = x.value;
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}`;
}

// The UTC instant of a wall-clock time in zone (wall given as UTC fields):
// the zone's offset at the guess, checked once more across a DST change.
export function fromZoned(wallMs, zone) {
  const offset = (ms) => Date.parse(toZoned(ms, zone) + "Z") - ms;
  let ms = wallMs - offset(wallMs);
  ms = wallMs - offset(ms);
  return ms;
}

export function isoUtc(ms) {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

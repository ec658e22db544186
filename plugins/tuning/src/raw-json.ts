// Member names as the config's text holds them. JSON.parse keeps only the last of two members with the same
// name, so a duplicated sysctl key would pass unseen; the reference (at HEAD) refuses one, and so do we.
// The text has already been parsed by @cni/skel, so it is valid JSON: this scanner only walks it.

const CHAR_QUOTE = 34;
const CHAR_BACKSLASH = 92;
const CHAR_COMMA = 44;
const CHAR_COLON = 58;
const CHAR_OPEN_BRACE = 123;
const CHAR_CLOSE_BRACE = 125;
const CHAR_OPEN_BRACKET = 91;
const CHAR_CLOSE_BRACKET = 93;
const CHAR_SPACE = 32;
const CHAR_TAB = 9;
const CHAR_LINE_FEED = 10;
const CHAR_CARRIAGE_RETURN = 13;

interface Member {
  name: string;
  /** where its value starts in the text */
  value: number;
}

/**
 * The member names, in order and with repeats, of the object reached from the top-level object through
 * `path`; each step takes the member @cni/skel's readKey takes (the exact name, else the last one equal
 * ignoring case). `undefined` when a step is missing or not an object.
 */
export function rawMemberNames(text: string, path: readonly string[]): string[] | undefined {
  let at = skipSpace(text, 0);
  for (const step of path) {
    if (text.charCodeAt(at) !== CHAR_OPEN_BRACE) return undefined;
    const chosen = choose(membersAt(text, at), step);
    if (chosen === undefined) return undefined;
    at = chosen.value;
  }
  if (text.charCodeAt(at) !== CHAR_OPEN_BRACE) return undefined;
  return membersAt(text, at).map((member) => member.name);
}

/** The names that occur more than once in `names`, each once. */
export function repeatedNames(names: readonly string[]): string[] {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) repeated.add(name);
    seen.add(name);
  }
  return [...repeated];
}

function choose(members: readonly Member[], name: string): Member | undefined {
  let ignoringCase: Member | undefined;
  const lower = name.toLowerCase();
  for (const member of members) {
    if (member.name === name) return member;
    if (member.name.toLowerCase() === lower) ignoringCase = member;
  }
  return ignoringCase;
}

/** The members of the object whose `{` is at `start`. */
function membersAt(text: string, start: number): Member[] {
  const members: Member[] = [];
  let at = skipSpace(text, start + 1);
  while (at < text.length && text.charCodeAt(at) !== CHAR_CLOSE_BRACE) {
    const nameEnd = stringEnd(text, at);
    const name = JSON.parse(text.slice(at, nameEnd)) as string;
    at = skipSpace(text, nameEnd);
    if (text.charCodeAt(at) === CHAR_COLON) at = skipSpace(text, at + 1);
    members.push({ name, value: at });
    at = skipSpace(text, valueEnd(text, at));
    if (text.charCodeAt(at) === CHAR_COMMA) at = skipSpace(text, at + 1);
  }
  return members;
}

/** Just past the string whose opening quote is at `start`. */
function stringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === CHAR_BACKSLASH) i++;
    else if (c === CHAR_QUOTE) return i + 1;
  }
  return text.length;
}

/** Just past the value starting at `start` (a string, an object or array with everything inside, a literal). */
function valueEnd(text: string, start: number): number {
  const first = text.charCodeAt(start);
  if (first === CHAR_QUOTE) return stringEnd(text, start);
  if (first !== CHAR_OPEN_BRACE && first !== CHAR_OPEN_BRACKET) {
    let i = start;
    while (i < text.length && !isDelimiter(text.charCodeAt(i))) i++;
    return i;
  }
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === CHAR_QUOTE) i = stringEnd(text, i) - 1;
    else if (c === CHAR_OPEN_BRACE || c === CHAR_OPEN_BRACKET) depth++;
    else if ((c === CHAR_CLOSE_BRACE || c === CHAR_CLOSE_BRACKET) && --depth === 0) return i + 1;
  }
  return text.length;
}

function isDelimiter(c: number): boolean {
  return c === CHAR_COMMA || c === CHAR_CLOSE_BRACE || c === CHAR_CLOSE_BRACKET || isSpace(c);
}

/** JSON's whitespace: space, tab, line feed, carriage return. */
function isSpace(c: number): boolean {
  return c === CHAR_SPACE || c === CHAR_TAB || c === CHAR_LINE_FEED || c === CHAR_CARRIAGE_RETURN;
}

function skipSpace(text: string, start: number): number {
  let i = start;
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  return i;
}

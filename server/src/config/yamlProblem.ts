/**
 * What a YAML error or warning in the configuration file says to the user. The yaml library's own
 * messages quote the source: its code frame shows the whole line, and some first lines carry a token
 * of it ("Not a YAML token: hunter2"). The line may be `password: ...`, so camrtc says where and what
 * kind of problem, from the error code, and never quotes the file.
 */
import type { YAMLError } from 'yaml';

const PROBLEMS: Partial<Record<YAMLError['code'], string>> = {
  BAD_INDENT: 'the indentation does not line up with the lines around it',
  TAB_AS_INDENT: 'a tab is used for indentation (use spaces)',
  DUPLICATE_KEY: 'a key appears twice in the same mapping',
  MISSING_CHAR: 'a character is missing (a closing quote or bracket, or a space after a colon)',
  BAD_SCALAR_START: 'a value starts with a character YAML reserves (such as @ ` % | >): put the value in quotes',
  BAD_DQ_ESCAPE: 'a double-quoted value holds an invalid backslash escape: use single quotes, or double the backslash',
  UNEXPECTED_TOKEN: 'unexpected text: a value with special characters may need quotes',
  TAG_RESOLVE_FAILED: 'an unknown !tag (camrtc reads plain values: no tags)',
  BAD_COLLECTION_TYPE: 'a !tag that does not fit its value',
  BLOCK_AS_IMPLICIT_KEY: 'a key spans several lines',
  MULTILINE_IMPLICIT_KEY: 'a key spans several lines',
  MULTIPLE_DOCS: 'more than one YAML document (---): camrtc reads one',
  KEY_OVER_1024_CHARS: 'a key longer than 1024 characters',
  BAD_ALIAS: 'an alias (*name) that names no anchor',
  RESOURCE_EXHAUSTION: 'too many aliases (*name)',
};

/** `at line 3, column 15: <what is wrong> (YAML CODE)`: never the line itself. */
export function describeYamlProblem(problem: Pick<YAMLError, 'code' | 'linePos'>): string {
  const pos = problem.linePos?.[0];
  const where = pos ? `at line ${pos.line}, column ${pos.col}: ` : '';
  return `${where}${PROBLEMS[problem.code] ?? 'YAML cannot read this'} (YAML ${problem.code})`;
}

/** "did you mean …?" for misspelt names: the closest candidate by edit distance, if close enough. */

export function closestMatch(name: string, candidates: readonly string[]): string | undefined {
  // Allow roughly one typo per three characters, and always at least two (swapped letters, `-` for `_`).
  const limit = Math.max(2, Math.floor(name.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = nameDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

/**
 * Edit distance, except that a leading part of a name (`redpanda` for `redpanda_config`) counts as
 * a bit more than one typo: close enough to suggest, but a real one-letter typo wins a tie.
 */
function nameDistance(name: string, candidate: string): number {
  const distance = editDistance(name, candidate);
  const isPrefix = name.length >= 3 && (candidate.startsWith(name) || name.startsWith(candidate));
  return isPrefix ? Math.min(distance, 1.5) : distance;
}

/** Levenshtein distance (insert, delete, substitute each cost 1). */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j] + 1, current[j - 1] + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length];
}

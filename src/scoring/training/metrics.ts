/**
 * Evaluation metrics for a risk score against 0/1 labels. Ties between scores
 * are handled exactly (no dependence on row order), because tree ensembles
 * give many rows the very same score.
 */

function checkLengths(scores: ArrayLike<number>, labels: ArrayLike<number>): void {
  if (scores.length !== labels.length) throw new RangeError(`${scores.length} scores but ${labels.length} labels`);
}

/** Row indices ordered by score, descending (ties by index, only to be deterministic). */
function orderByScoreDesc(scores: ArrayLike<number>): Uint32Array {
  // NaN would make the comparator inconsistent and the ranking meaningless.
  for (let i = 0; i < scores.length; i++) if (Number.isNaN(scores[i])) throw new RangeError(`score of row ${i} is NaN`);
  const order = Uint32Array.from({ length: scores.length }, (_, i) => i);
  return order.sort((a, b) => scores[b]! - scores[a]! || a - b);
}

/**
 * Area under the ROC curve: the probability that a random positive scores
 * higher than a random negative, counting ties as one half (the
 * Mann–Whitney U statistic with mid-ranks). NaN when either class is absent.
 */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  checkLengths(scores, labels);
  const order = orderByScoreDesc(scores);
  let positives = 0;
  let negatives = 0;
  // For each negative, count positives scored strictly above plus half of those tied with it.
  let wins = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    let groupPos = 0;
    let groupNeg = 0;
    while (j < order.length && scores[order[j]!] === scores[order[i]!]) {
      if (labels[order[j]!] === 1) groupPos++;
      else groupNeg++;
      j++;
    }
    wins += groupNeg * (positives + groupPos / 2);
    positives += groupPos;
    negatives += groupNeg;
    i = j;
  }
  return positives === 0 || negatives === 0 ? Number.NaN : wins / (positives * negatives);
}

/**
 * Precision among the top `fraction` of rows by score (default 1%): the
 * share of positives in the k = ceil(fraction·N) highest-scored rows — what
 * an analyst reviewing the top k alerts would see. When the cut falls inside
 * a group of tied scores, that group contributes its positive rate times the
 * number of its rows that fit (the expectation over random tie-breaking).
 * NaN for no rows.
 */
export function precisionAtTopFraction(scores: ArrayLike<number>, labels: ArrayLike<number>, fraction = 0.01): number {
  checkLengths(scores, labels);
  if (!(fraction > 0 && fraction <= 1)) throw new RangeError(`fraction must be in (0, 1], got ${fraction}`);
  if (scores.length === 0) return Number.NaN;
  const k = Math.ceil(fraction * scores.length);
  const order = orderByScoreDesc(scores);
  let taken = 0;
  let hits = 0;
  for (let i = 0; taken < k; ) {
    let j = i;
    let groupPos = 0;
    while (j < order.length && scores[order[j]!] === scores[order[i]!]) {
      if (labels[order[j]!] === 1) groupPos++;
      j++;
    }
    const room = Math.min(j - i, k - taken);
    hits += (groupPos * room) / (j - i);
    taken += room;
    i = j;
  }
  return hits / k;
}

/** Mean binary log-loss of probabilities, clipped to [1e-15, 1 − 1e-15] so a confident miss stays finite. */
export function logLoss(probabilities: ArrayLike<number>, labels: ArrayLike<number>): number {
  checkLengths(probabilities, labels);
  let sum = 0;
  for (let i = 0; i < labels.length; i++) {
    const p = Math.min(1 - 1e-15, Math.max(1e-15, probabilities[i]!));
    sum -= labels[i] === 1 ? Math.log(p) : Math.log(1 - p);
  }
  return sum / labels.length;
}

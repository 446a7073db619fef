/**
 * L2-regularised logistic regression on unit sentence vectors (full-batch gradient descent):
 * one learned direction in embedding space that separates two labels. Small and exact enough
 * for a few hundred examples; trains in tens of milliseconds.
 */
export class LinearProbe {
  private constructor(
    readonly weights: Float64Array,
    readonly bias: number,
  ) {}

  static train(vectors: readonly ArrayLike<number>[], labels: readonly boolean[], lambda: number, iterations = 400): LinearProbe {
    const n = vectors.length;
    const d = vectors[0]?.length ?? 0;
    const w = new Float64Array(d);
    let b = 0;
    const positives = labels.filter(Boolean).length;
    // Class weights: a label with fewer examples is not drowned by the other.
    const wPos = positives === 0 ? 0 : n / (2 * positives);
    const wNeg = positives === n ? 0 : n / (2 * (n - positives));
    const grad = new Float64Array(d);
    const rate = 2;
    for (let it = 0; it < iterations; it++) {
      grad.fill(0);
      let gb = 0;
      for (let i = 0; i < n; i++) {
        const x = vectors[i]!;
        let z = b;
        for (let j = 0; j < d; j++) z += w[j]! * x[j]!;
        const y = labels[i] ? 1 : 0;
        const err = (sigmoid(z) - y) * (labels[i] ? wPos : wNeg);
        for (let j = 0; j < d; j++) grad[j]! += err * x[j]!;
        gb += err;
      }
      for (let j = 0; j < d; j++) w[j]! -= rate * (grad[j]! / n + lambda * w[j]!);
      b -= (rate * gb) / n;
    }
    return new LinearProbe(w, b);
  }

  probability(x: ArrayLike<number>): number {
    let z = this.bias;
    for (let j = 0; j < this.weights.length; j++) z += this.weights[j]! * x[j]!;
    return sigmoid(z);
  }
}

function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

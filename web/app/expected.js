// Evaluates the book's stated figures ("3(N-1)", "2√N", "N log N", "O(N^2)")
// for a given N, so the checks panel can put the measured value next to the
// expected one. A tiny recursive-descent parser: numbers, N, + - * / ^,
// parentheses, implicit multiplication, √ / sqrt, log (base 2), ln. Anything
// else yields null (the string is then shown as it is).

export function evalExpected(src, N) {
  // "O(n²): 2n²−n+1 plus checkpoints": try the whole, then the part after a colon, then its leading formula.
  const text = String(src);
  const tail = text.includes(":") ? text.slice(text.lastIndexOf(":") + 1) : "";
  for (const cand of [text, tail, tail.split(/\s+(?:plus|per|messages?)\b/)[0]]) {
    if (!cand) continue;
    const v = evalOne(cand, N);
    if (v !== null) return v;
  }
  return null;
}

function evalOne(src, N) {
  let s = String(src).trim().replace(/^O\((.*)\)$/, "$1").replace(/\s+/g, "");
  if (!s) return null;
  let i = 0;
  const peek = () => s[i];
  const eat = (c) => { if (s[i] === c) { i++; return true; } return false; };
  const word = (w) => { if (s.slice(i, i + w.length).toLowerCase() === w) { i += w.length; return true; } return false; };
  function expr() {
    let v = term();
    for (;;) {
      if (eat("+")) v += term();
      else if (eat("-") || eat("−")) v -= term();
      else return v;
    }
  }
  function term() {
    let v = power();
    for (;;) {
      if (eat("*") || eat("×") || eat("·")) v *= power();
      else if (eat("/")) v /= power();
      else if (i < s.length && /[\dN(√a-z]/i.test(peek())) v *= power(); // implicit
      else return v;
    }
  }
  function power() {
    let v = unary();
    if (eat("^")) v = Math.pow(v, power());
    else if (eat("²")) v = v * v;
    return v;
  }
  function unary() {
    if (eat("-") || eat("−")) return -unary();
    if (eat("√") || word("sqrt")) return Math.sqrt(unary());
    if (word("log")) { eat("₂"); return Math.log2(unary()); }
    if (word("ln")) return Math.log(unary());
    return atom();
  }
  function atom() {
    if (eat("(")) { const v = expr(); if (!eat(")")) throw new Error(")"); return v; }
    if (eat("N") || eat("n")) return N;
    const m = /^\d+(\.\d+)?/.exec(s.slice(i));
    if (m) { i += m[0].length; return parseFloat(m[0]); }
    throw new Error("bad");
  }
  try {
    const v = expr();
    return i === s.length && isFinite(v) ? v : null;
  } catch {
    return null;
  }
}

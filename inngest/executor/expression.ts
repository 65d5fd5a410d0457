/**
 * The subset of Inngest's expression language (CEL) that the embedded executor evaluates, for
 * `waitForEvent({ if | match })`, `cancelOn: [{ if | match }]` and trigger `if` filters.
 *
 * Supported: paths from the roots the caller provides (`event.data.userId`, `async.data["k"]`,
 * `event.items[0]`), string ('…' or "…"), number, `true`, `false` and `null` literals, `+`
 * (two strings or two numbers), the comparisons `==` `!=` `<` `<=` `>` `>=`, `&&`, `||`, `!`
 * and parentheses. `==` compares JSON values deeply. As in CEL, a path that does not exist
 * makes the comparison using it an error, and an expression that errors does not match (except
 * where `&&`/`||` short-circuits past it). Anything else (functions such as `size()`, `in`,
 * other arithmetic, macros) is rejected when parsed, so an unsupported expression fails loudly
 * instead of silently never matching.
 *
 * Besides conditions, the same expressions compute values: a concurrency `key` such as
 * `event.data.teamId` or `event.data.user + "-" + event.data.account` (see `valueOf`).
 */
export class ExpressionError extends Error {
  constructor(
    message: string,
    readonly source: string,
  ) {
    super(`${message} in expression \`${source}\``);
    this.name = "ExpressionError";
  }
}

export interface Expression {
  readonly source: string;
  /** True when the expression holds for these root values (e.g. `{ event, async }`). */
  matches(scope: Readonly<Record<string, unknown>>): boolean;
  /** The expression's value for these root values; undefined when it cannot be evaluated (a missing field). */
  valueOf(scope: Readonly<Record<string, unknown>>): unknown;
}

type Node =
  | { kind: "literal"; value: unknown }
  | { kind: "path"; root: string; keys: (string | number)[] }
  | { kind: "not"; operand: Node }
  | { kind: "logical"; operator: "&&" | "||"; left: Node; right: Node }
  | { kind: "compare"; operator: ComparisonOperator; left: Node; right: Node }
  | { kind: "add"; left: Node; right: Node };

type ComparisonOperator = "==" | "!=" | "<" | "<=" | ">" | ">=";

type Token =
  | { type: "string"; value: string }
  | { type: "number"; value: number }
  | { type: "identifier"; value: string }
  | { type: "operator"; value: string };

/** Thrown while evaluating; means "this expression does not match" (CEL's evaluation error). */
class NoMatch extends Error {}

const operators = ["==", "!=", "<=", ">=", "&&", "||", "<", ">", "!", "(", ")", "[", "]", ".", "+"];

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < source.length) {
    const char = source[index]!;
    if (/\s/.test(char)) {
      index++;
      continue;
    }
    if (char === '"' || char === "'") {
      let value = "";
      index++;
      while (index < source.length && source[index] !== char) {
        if (source[index] === "\\") {
          const escaped = source[index + 1];
          const escapes: Record<string, string> = { n: "\n", t: "\t", r: "\r", "\\": "\\", "'": "'", '"': '"' };
          if (escaped === undefined || !(escaped in escapes)) throw new ExpressionError("Unsupported escape", source);
          value += escapes[escaped];
          index += 2;
        } else {
          value += source[index];
          index++;
        }
      }
      if (index >= source.length) throw new ExpressionError("Unterminated string", source);
      index++;
      tokens.push({ type: "string", value });
      continue;
    }
    const number = /^-?\d+(\.\d+)?/.exec(source.slice(index));
    const previous = tokens[tokens.length - 1];
    const minusIsSign = char !== "-" || !previous || previous.type === "operator";
    if (number && minusIsSign) {
      tokens.push({ type: "number", value: Number(number[0]) });
      index += number[0].length;
      continue;
    }
    const identifier = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(index));
    if (identifier) {
      tokens.push({ type: "identifier", value: identifier[0] });
      index += identifier[0].length;
      continue;
    }
    const operator = operators.find((candidate) => source.startsWith(candidate, index));
    if (!operator) throw new ExpressionError(`Unsupported character "${char}"`, source);
    tokens.push({ type: "operator", value: operator });
    index += operator.length;
  }
  return tokens;
}

class Parser {
  private position = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly source: string,
  ) {}

  parse(): Node {
    const node = this.or();
    if (this.position < this.tokens.length) this.fail(`Unexpected "${this.tokens[this.position]!.value}"`);
    return node;
  }

  private fail(message: string): never {
    throw new ExpressionError(message, this.source);
  }

  private peekOperator(...values: string[]): string | undefined {
    const token = this.tokens[this.position];
    return token?.type === "operator" && values.includes(token.value) ? token.value : undefined;
  }

  private expectOperator(value: string) {
    if (!this.peekOperator(value)) this.fail(`Expected "${value}"`);
    this.position++;
  }

  private or(): Node {
    let left = this.and();
    while (this.peekOperator("||")) {
      this.position++;
      left = { kind: "logical", operator: "||", left, right: this.and() };
    }
    return left;
  }

  private and(): Node {
    let left = this.unary();
    while (this.peekOperator("&&")) {
      this.position++;
      left = { kind: "logical", operator: "&&", left, right: this.unary() };
    }
    return left;
  }

  private unary(): Node {
    if (this.peekOperator("!")) {
      this.position++;
      return { kind: "not", operand: this.unary() };
    }
    return this.comparison();
  }

  private comparison(): Node {
    const left = this.sum();
    const operator = this.peekOperator("==", "!=", "<", "<=", ">", ">=") as ComparisonOperator | undefined;
    if (!operator) return left;
    this.position++;
    return { kind: "compare", operator, left, right: this.sum() };
  }

  private sum(): Node {
    let left = this.operand();
    while (this.peekOperator("+")) {
      this.position++;
      left = { kind: "add", left, right: this.operand() };
    }
    return left;
  }

  private operand(): Node {
    const token = this.tokens[this.position];
    if (!token) return this.fail("Unexpected end");
    if (token.type === "operator" && token.value === "(") {
      this.position++;
      const inner = this.or();
      this.expectOperator(")");
      return inner;
    }
    this.position++;
    if (token.type === "string" || token.type === "number") return { kind: "literal", value: token.value };
    if (token.type !== "identifier") return this.fail(`Unexpected "${token.value}"`);
    if (token.value === "true" || token.value === "false") return { kind: "literal", value: token.value === "true" };
    if (token.value === "null") return { kind: "literal", value: null };
    if (this.peekOperator("(")) this.fail(`Function calls such as "${token.value}()" are not supported`);
    const keys: (string | number)[] = [];
    for (;;) {
      if (this.peekOperator(".")) {
        this.position++;
        const key = this.tokens[this.position];
        if (key?.type !== "identifier") this.fail('Expected a field name after "."');
        keys.push(key.value);
        this.position++;
      } else if (this.peekOperator("[")) {
        this.position++;
        const key = this.tokens[this.position];
        if (key?.type !== "string" && key?.type !== "number") this.fail('Expected a string or number inside "[]"');
        keys.push(key.value);
        this.position++;
        this.expectOperator("]");
      } else {
        break;
      }
      if (this.peekOperator("(")) this.fail("Method calls are not supported");
    }
    return { kind: "path", root: token.value, keys };
  }
}

function deepEqual(left: unknown, right: unknown): boolean {
  if (left === right) return true;
  if (typeof left !== "object" || typeof right !== "object" || left === null || right === null) return false;
  if (Array.isArray(left) !== Array.isArray(right)) return false;
  const leftKeys = Object.keys(left);
  const rightKeys = Object.keys(right);
  if (leftKeys.length !== rightKeys.length) return false;
  return leftKeys.every(
    (key) => Object.hasOwn(right, key) && deepEqual((left as Record<string, unknown>)[key], (right as Record<string, unknown>)[key]),
  );
}

function evaluate(node: Node, scope: Readonly<Record<string, unknown>>): unknown {
  switch (node.kind) {
    case "literal":
      return node.value;
    case "path": {
      if (!Object.hasOwn(scope, node.root)) throw new NoMatch();
      let value: unknown = scope[node.root];
      for (const key of node.keys) {
        if (value === null || typeof value !== "object" || !Object.hasOwn(value, key)) throw new NoMatch();
        value = (value as Record<string | number, unknown>)[key];
      }
      return value;
    }
    case "not":
      return !truthy(evaluate(node.operand, scope));
    case "add": {
      const left = evaluate(node.left, scope);
      const right = evaluate(node.right, scope);
      if (typeof left === "string" && typeof right === "string") return left + right;
      if (typeof left === "number" && typeof right === "number") return left + right;
      throw new NoMatch(); // CEL has no implicit conversions
    }
    case "logical": {
      const stopAt = node.operator === "||";
      let leftFailed = false;
      try {
        if (truthy(evaluate(node.left, scope)) === stopAt) return stopAt;
      } catch (error) {
        if (!(error instanceof NoMatch)) throw error;
        leftFailed = true;
      }
      const right = truthy(evaluate(node.right, scope));
      if (right === stopAt) return stopAt;
      if (leftFailed) throw new NoMatch();
      return right;
    }
    case "compare": {
      const left = evaluate(node.left, scope);
      const right = evaluate(node.right, scope);
      if (node.operator === "==") return deepEqual(left, right);
      if (node.operator === "!=") return !deepEqual(left, right);
      const comparable = (typeof left === "number" && typeof right === "number") || (typeof left === "string" && typeof right === "string");
      if (!comparable) throw new NoMatch();
      const [a, b] = [left as number | string, right as number | string];
      if (node.operator === "<") return a < b;
      if (node.operator === "<=") return a <= b;
      if (node.operator === ">") return a > b;
      return a >= b;
    }
  }
}

function truthy(value: unknown): boolean {
  if (typeof value !== "boolean") throw new NoMatch();
  return value;
}

/** Parses an expression once; throws ExpressionError for syntax outside the supported subset. */
export function parseExpression(source: string): Expression {
  const tree = new Parser(tokenize(source), source).parse();
  return {
    source,
    matches(scope) {
      try {
        return evaluate(tree, scope) === true;
      } catch (error) {
        if (error instanceof NoMatch) return false;
        throw error;
      }
    },
    valueOf(scope) {
      try {
        return evaluate(tree, scope);
      } catch (error) {
        if (error instanceof NoMatch) return undefined;
        throw error;
      }
    },
  };
}

const cache = new Map<string, Expression>();

/** parseExpression with a small cache: the same wait or cancel condition is checked for every event. */
export function compileExpression(source: string): Expression {
  let compiled = cache.get(source);
  if (!compiled) {
    compiled = parseExpression(source);
    if (cache.size > 1000) cache.clear();
    cache.set(source, compiled);
  }
  return compiled;
}

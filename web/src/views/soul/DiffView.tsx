type Kind = "file" | "hunk" | "add" | "del" | "ctx";

/** Each line of a unified diff with its kind; `---`/`+++` count as file headers only before
 * the first hunk (a deleted line reading `-- x` is a deletion). */
export function diffLines(diff: string): [Kind, string][] {
  let inHunk = false;
  return diff
    .replace(/\n$/, "")
    .split("\n")
    .map((line): [Kind, string] => {
      if (line.startsWith("@@")) {
        inHunk = true;
        return ["hunk", line];
      }
      if (!inHunk && (line.startsWith("---") || line.startsWith("+++"))) {
        return ["file", line];
      }
      if (line.startsWith("+")) {
        return ["add", line];
      }
      if (line.startsWith("-")) {
        return ["del", line];
      }
      return ["ctx", line];
    });
}

/** A unified diff, coloured by kind and marked by its +/- (colour is not the only cue). Text
 * only. */
export function DiffView({ diff }: { diff: string }) {
  if (!diff.trim()) {
    return <p className="muted">No differences.</p>;
  }
  return (
    <pre className="diff" data-testid="soul-diff">
      {diffLines(diff).map(([kind, line], i) => (
        <span key={i} className={`diff-${kind}`}>
          {line}
          {"\n"}
        </span>
      ))}
    </pre>
  );
}

import { describe, expect, it } from "vitest";
import { diffLines } from "./DiffView";

describe("diffLines", () => {
  it("tells headers, hunks, additions, deletions and context apart", () => {
    const diff = "--- soul@v1\n+++ soul@current\n@@ -1,3 +1,3 @@\n keep\n-old\n--- a deleted rule\n+new\n+++ an added rule\n";
    expect(diffLines(diff).map(([kind]) => kind)).toEqual([
      "file",
      "file",
      "hunk",
      "ctx",
      "del",
      "del",
      "add",
      "add",
    ]);
  });
});

import { useCallback, useEffect, useState } from "react";
import { ApiError } from "../../api/client";
import { useApi, useBusEvents } from "../../api/context";
import { ErrorNote } from "../../components/ErrorNote";
import { formatTime } from "../../lib/format";
import { itemsOf, pick, pickText } from "../../lib/loose";
import { PostDetail } from "./PostDetail";
import type { Loose } from "../../lib/loose";

const SOURCES: { value: string; label: string; path: string }[] = [
  { value: "feed", label: "Feed", path: "/api/v1/feed" },
  { value: "new", label: "Posts, newest", path: "/api/v1/posts?sort=new" },
  { value: "top", label: "Posts, top", path: "/api/v1/posts?sort=top" },
  { value: "hot", label: "Posts, hot", path: "/api/v1/posts?sort=hot" },
];

function Post({ post, onOpen }: { post: Loose; onOpen: (id: string) => void }) {
  const score = pick(post, "score", "upvotes", "votes");
  const comments = pick(post, "comment_count", "comments_count", "comments");
  return (
    <li className="post" data-testid="post">
      <div className="post-head">
        <button type="button" className="link model-text" onClick={() => onOpen(pickText(post, "id"))}>
          {pickText(post, "title") || "(untitled)"}
        </button>
        <span className="muted">
          {" "}
          in {pickText(post, "submolt", "submolt.name", "community") || "—"} by{" "}
          {pickText(post, "author", "author.name", "agent", "agent_id") || "someone"}
          {pickText(post, "author_kind") ? ` (${pickText(post, "author_kind")})` : ""} ·{" "}
          {formatTime(pickText(post, "created_at") || null)}
        </span>
      </div>
      <p className="model-text">{pickText(post, "content", "body", "text")}</p>
      {pickText(post, "url") ? <p className="muted model-text">Link: {pickText(post, "url")}</p> : null}
      <p className="muted">
        {score !== undefined ? `score ${String(score)}` : ""}
        {comments !== undefined ? ` · ${Array.isArray(comments) ? comments.length : String(comments)} comments` : ""}
      </p>
    </li>
  );
}

/** The board (the built-in ledger): the feed or the posts in one order; a post opens with its
 * comments, where the person can comment and vote. */
export function LedgerView() {
  const api = useApi();
  const [source, setSource] = useState("feed");
  const [posts, setPosts] = useState<Loose[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [open, setOpen] = useState<string | null>(null);

  const load = useCallback(async () => {
    const chosen = SOURCES.find((s) => s.value === source) ?? SOURCES[0]!;
    try {
      setPosts(itemsOf(await api.get<unknown>(chosen.path), "posts", "feed"));
      setError(null);
    } catch (failure) {
      setError(failure);
      setPosts([]);
    }
  }, [api, source]);

  useEffect(() => {
    void load();
  }, [load]);

  useBusEvents((name) => name === "action.executed" || name.startsWith("ledger."), () => void load());

  const missing = error instanceof ApiError && error.status === 404 && error.message.startsWith("no such endpoint");
  return (
    <div className="view ledger">
      <h2>Board</h2>
      <div className="card row" role="group" aria-label="Which posts">
        <label htmlFor="ledger-source">Show</label>
        <select id="ledger-source" value={source} onChange={(e) => setSource(e.target.value)}>
          {SOURCES.map((s) => (
            <option key={s.value} value={s.value}>
              {s.label}
            </option>
          ))}
        </select>
        <button type="button" className="secondary" onClick={() => void load()}>
          Reload
        </button>
      </div>
      {missing ? <p className="note">This server has no ledger yet (/api/v1 is not there).</p> : <ErrorNote error={error} label="Ledger" />}
      {open !== null ? (
        <PostDetail
          postId={open}
          onClose={() => {
            setOpen(null);
            void load();
          }}
        />
      ) : null}
      <div className="card" hidden={open !== null}>
        {posts.length === 0 && !error ? <p className="muted">No posts yet.</p> : null}
        <ul className="posts" data-testid="posts">
          {posts.map((post, i) => (
            <Post key={pickText(post, "id") || i} post={post} onOpen={setOpen} />
          ))}
        </ul>
      </div>
    </div>
  );
}

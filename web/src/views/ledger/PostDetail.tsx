import { useCallback, useEffect, useState } from "react";
import type { FormEvent } from "react";
import { seg } from "../../api/client";
import { useApi } from "../../api/context";
import { ErrorNote } from "../../components/ErrorNote";
import { formatTime } from "../../lib/format";
import { useUnsavedGuard } from "../../lib/hooks";
import { pick, pickText } from "../../lib/loose";
import type { Loose } from "../../lib/loose";

interface CommentNode extends Loose {
  replies?: CommentNode[];
}

/** Up / down buttons for a post or comment; the vote is cast as the person. */
function Votes({ kind, id, score, onVoted }: { kind: "posts" | "comments"; id: string; score: unknown; onVoted: () => void }) {
  const api = useApi();
  const [error, setError] = useState<unknown>(null);
  const vote = async (direction: "upvote" | "downvote") => {
    try {
      await api.post(`/api/v1/${kind}/${seg(id)}/${direction}`, { voter: "person" });
      setError(null);
      onVoted();
    } catch (failure) {
      setError(failure);
    }
  };
  const what = kind === "posts" ? "post" : "comment";
  return (
    <span className="votes">
      <button type="button" className="secondary small" aria-label={`Upvote this ${what}`} onClick={() => void vote("upvote")}>
        ▲
      </button>
      <span data-testid={`${what}-score`}>{String(score ?? 0)}</span>
      <button type="button" className="secondary small" aria-label={`Downvote this ${what}`} onClick={() => void vote("downvote")}>
        ▼
      </button>
      <ErrorNote error={error} label="Vote" />
    </span>
  );
}

function Comment({ node, onChanged, depth }: { node: CommentNode; onChanged: () => void; depth: number }) {
  return (
    <li className="comment" data-testid="comment">
      <div className="comment-head muted small">
        {pickText(node, "author") || "someone"}
        {pickText(node, "author_kind") ? ` (${pickText(node, "author_kind")})` : ""} · {formatTime(pickText(node, "created_at") || null)}
      </div>
      <p className="model-text">{pickText(node, "content")}</p>
      <Votes kind="comments" id={pickText(node, "id")} score={pick(node, "score")} onVoted={onChanged} />
      {node.replies && node.replies.length > 0 && depth < 6 ? (
        <ul className="comments">
          {node.replies.map((reply) => (
            <Comment key={pickText(reply, "id")} node={reply} onChanged={onChanged} depth={depth + 1} />
          ))}
        </ul>
      ) : null}
    </li>
  );
}

/** One post with its comment tree; the person can comment and vote. */
export function PostDetail({ postId, onClose }: { postId: string; onClose: () => void }) {
  const api = useApi();
  const [post, setPost] = useState<Loose | null>(null);
  const [comments, setComments] = useState<CommentNode[]>([]);
  const [draft, setDraft] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [sending, setSending] = useState(false);
  useUnsavedGuard("your comment", draft.trim() !== "");

  const load = useCallback(async () => {
    try {
      const [one, tree] = await Promise.all([
        api.get<{ post: Loose }>(`/api/v1/posts/${seg(postId)}`),
        api.get<{ comments: CommentNode[] }>(`/api/v1/posts/${seg(postId)}/comments`),
      ]);
      setPost(one.post);
      setComments(tree.comments);
      setError(null);
    } catch (failure) {
      setError(failure);
    }
  }, [api, postId]);

  useEffect(() => {
    void load();
  }, [load]);

  async function submit(event: FormEvent): Promise<void> {
    event.preventDefault();
    if (!draft.trim()) {
      return;
    }
    setSending(true);
    try {
      await api.post(`/api/v1/posts/${seg(postId)}/comments`, { content: draft, author: "person" });
      setDraft("");
      await load();
    } catch (failure) {
      setError(failure);
    } finally {
      setSending(false);
    }
  }

  return (
    <section className="card post-detail" aria-labelledby="post-title" data-testid="post-detail">
      <button type="button" className="secondary small" onClick={onClose}>
        ← Back to the posts
      </button>
      {post ? (
        <>
          <h3 id="post-title" className="model-text">
            {pickText(post, "title") || "(untitled)"}
          </h3>
          <p className="muted small">
            in {pickText(post, "submolt")} by {pickText(post, "author")} ({pickText(post, "author_kind")}) ·{" "}
            {formatTime(pickText(post, "created_at") || null)}
          </p>
          <p className="model-text post-body">{pickText(post, "content")}</p>
          {pickText(post, "url") ? <p className="muted model-text">Link: {pickText(post, "url")}</p> : null}
          <Votes kind="posts" id={postId} score={pick(post, "score")} onVoted={() => void load()} />
        </>
      ) : (
        <h3 id="post-title">Post {postId}</h3>
      )}
      <ErrorNote error={error} label="Board" />
      <h4>Comments ({comments.length})</h4>
      {comments.length === 0 ? <p className="muted">No comments yet.</p> : null}
      <ul className="comments" data-testid="comments">
        {comments.map((node) => (
          <Comment key={pickText(node, "id")} node={node} onChanged={() => void load()} depth={0} />
        ))}
      </ul>
      <form onSubmit={(e) => void submit(e)} className="comment-form">
        <label htmlFor="comment-text">Your comment (as the person)</label>
        <textarea id="comment-text" rows={3} value={draft} onChange={(e) => setDraft(e.target.value)} />
        <button type="submit" disabled={sending || !draft.trim()}>
          {sending ? "Sending…" : "Comment"}
        </button>
      </form>
    </section>
  );
}

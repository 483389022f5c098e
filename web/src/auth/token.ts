/** The API token lives in `sessionStorage` only: gone when the tab closes, never in
 * localStorage, a cookie or the URL. */
const KEY = "soulbeat.api-token";

export function loadToken(): string | null {
  try {
    const token = window.sessionStorage.getItem(KEY);
    return token && token.trim() ? token.trim() : null;
  } catch {
    return null;
  }
}

export function saveToken(token: string): void {
  window.sessionStorage.setItem(KEY, token.trim());
}

export function forgetToken(): void {
  window.sessionStorage.removeItem(KEY);
}

export const TOKEN_STORAGE_KEY = KEY;

import { render } from "@testing-library/react";
import type { ReactElement } from "react";
import { ApiProvider, EventsProvider } from "../api/context";
import type { Api } from "../api/client";
import { ThreadsProvider } from "../components/threads";

/** Render `ui` inside the panel's providers, with no live event stream. */
export function renderWithApi(api: Api, ui: ReactElement) {
  return render(
    <ApiProvider api={api}>
      <EventsProvider live={false}>
        <ThreadsProvider>{ui}</ThreadsProvider>
      </EventsProvider>
    </ApiProvider>,
  );
}

/**
 * The few Janus REST API calls a streaming viewer needs (create session, attach the streaming plugin,
 * watch, start with the answer, trickle end), with one long-poll loop per session that hands events to
 * the handle they are for. Several handles share a session: the session only carries signaling.
 */
export interface JanusJsep {
  type: 'offer' | 'answer';
  sdp: string;
}

interface JanusEvent {
  janus: string;
  sender?: number;
  jsep?: JanusJsep;
  plugindata?: { data?: Record<string, unknown> };
  error?: { code: number; reason: string };
}

const LONG_POLL_EVENTS = 10;

export class JanusSession {
  #closed = false;
  #tx = 0;
  readonly #waiters = new Map<number, Array<(e: JanusEvent) => void>>();

  private constructor(readonly apiUrl: string, readonly id: number) {
    void this.#poll();
  }

  static async create(apiUrl: string): Promise<JanusSession> {
    const r = await post(apiUrl, { janus: 'create', transaction: 'create' });
    return new JanusSession(apiUrl, (r.data as { id: number }).id);
  }

  get closed(): boolean {
    return this.#closed;
  }

  async attach(): Promise<number> {
    const r = await post(`${this.apiUrl}/${this.id}`, { janus: 'attach', plugin: 'janus.plugin.streaming', transaction: this.#next() });
    return (r.data as { id: number }).id;
  }

  /** Asks mountpoint `mountpoint` for an offer on `handle`. */
  async watch(handle: number, mountpoint: number): Promise<string> {
    const offer = this.#nextEvent(handle, (e) => e.jsep?.type === 'offer' || e.janus === 'hangup' || !!e.plugindata?.data?.error);
    await this.#message(handle, { request: 'watch', id: mountpoint });
    const e = await offer;
    if (!e.jsep) throw new Error(`janus refused watch: ${JSON.stringify(e.plugindata?.data ?? e)}`);
    return e.jsep.sdp;
  }

  async start(handle: number, answerSdp: string): Promise<void> {
    await this.#message(handle, { request: 'start' }, { type: 'answer', sdp: answerSdp });
    await post(`${this.apiUrl}/${this.id}/${handle}`, { janus: 'trickle', candidate: { completed: true }, transaction: this.#next() });
  }

  async detach(handle: number): Promise<void> {
    await post(`${this.apiUrl}/${this.id}/${handle}`, { janus: 'detach', transaction: this.#next() }).catch(() => undefined);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await post(`${this.apiUrl}/${this.id}`, { janus: 'destroy', transaction: this.#next() }).catch(() => undefined);
  }

  #next(): string {
    return `t${++this.#tx}`;
  }

  async #message(handle: number, body: Record<string, unknown>, jsep?: JanusJsep): Promise<void> {
    await post(`${this.apiUrl}/${this.id}/${handle}`, { janus: 'message', body, jsep, transaction: this.#next() });
  }

  #nextEvent(handle: number, accept: (e: JanusEvent) => boolean): Promise<JanusEvent> {
    return new Promise((resolve) => {
      const list = this.#waiters.get(handle) ?? [];
      const waiter = (e: JanusEvent): void => {
        if (!accept(e)) return;
        list.splice(list.indexOf(waiter), 1);
        resolve(e);
      };
      list.push(waiter);
      this.#waiters.set(handle, list);
    });
  }

  async #poll(): Promise<void> {
    while (!this.#closed) {
      let events: JanusEvent[];
      try {
        const r = await fetch(`${this.apiUrl}/${this.id}?maxev=${LONG_POLL_EVENTS}&rid=${Date.now()}`);
        const body = (await r.json()) as JanusEvent | JanusEvent[];
        events = Array.isArray(body) ? body : [body];
      } catch {
        if (!this.#closed) await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      for (const e of events) {
        if (e.sender === undefined) continue;
        for (const w of [...(this.#waiters.get(e.sender) ?? [])]) w(e);
      }
    }
  }
}

async function post(url: string, body: Record<string, unknown>): Promise<JanusEvent & { data?: unknown }> {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = (await r.json()) as JanusEvent & { data?: unknown };
  if (json.janus === 'error') throw new Error(`janus ${String(body.janus)}: ${json.error?.reason ?? 'error'}`);
  return json;
}

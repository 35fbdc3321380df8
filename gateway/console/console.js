// smscoach operator console: plain JavaScript over the admin API (/api/v1).
// Every piece of data reaches the page through textContent or attributes,
// never as HTML. The token lives in sessionStorage (this tab only).
'use strict';

(() => {
  const TOKEN_KEY = 'smscoach.console.token';
  const POLL_MS = 3000;
  const PAGE_SIZE = 25;
  const MAX_LIMIT = 200;

  // Intent ids from the product contract, for relabelling.
  const FAQ_IDS = [
    'what_is_lean_mass_matrix', 'matrix_mechanism', 'matrix_ingredients', 'matrix_replace_diet',
    'matrix_results_time', 'matrix_women', 'matrix_cycling', 'matrix_bulking', 'what_is_lean_mass',
    'glp1_muscle_loss', 'protein_alone_strength', 'low_protein_risk', 'best_exercise_lean_mass',
    'weak_when_dieting', 'trt_without_training', 'trt_muscle_gain', 'creatine_lean_mass',
    'igf1_muscle', 'igf1_safety', 'training_brain', 'overtraining_risk',
  ];
  const INTENTS = [
    'opt_out', 'opt_in', 'help', 'greeting', 'thanks', 'human', 'dose', 'product_compare',
    'product_recommend', 'med_safety', 'profile_update', 'delete_data',
    ...FAQ_IDS.map((id) => `faq.${id}`),
    'out_of_scope',
  ];

  const $ = (id) => document.getElementById(id);
  const el = {
    session: $('session'), whoami: $('whoami'), logout: $('logout'),
    exportForm: $('export-form'), exportFormat: $('export-format'),
    error: $('error'), info: $('info'),
    loginView: $('login-view'), loginForm: $('login-form'), token: $('token'),
    appView: $('app-view'),
    queueList: $('queue-list'), queueEmpty: $('queue-empty'),
    searchForm: $('search-form'), search: $('search'), filter: $('filter'),
    list: $('conversation-list'), listEmpty: $('list-empty'), more: $('more'),
    conversation: $('conversation'), placeholder: $('conversation-placeholder'),
    convNumber: $('conv-number'), convState: $('conv-state'),
    weight: $('profile-weight'), goal: $('profile-goal'), medications: $('profile-medications'),
    takeover: $('takeover'), release: $('release'),
    transcript: $('transcript'), messages: $('messages'), messagesEmpty: $('messages-empty'),
    replyForm: $('reply-form'), reply: $('reply'), canned: $('canned'), send: $('send'),
    replyCount: $('reply-count'), roleHint: $('role-hint'),
    notes: $('notes'), noteForm: $('note-form'), note: $('note'),
  };

  const state = {
    token: '',
    me: null,
    query: { q: '', filter: '' },
    list: [],            // summaries shown under "All conversations"
    nextCursor: '',
    openNumber: '',      // the full number of the open conversation
    detail: null,
    messageItems: new Map(),  // message id -> <li>
    noteItems: new Map(),     // note id -> <li>
    drafts: new Map(),        // number -> unsent reply text
    pollTimer: 0,
    polling: false,
    session: 0,          // bumped on log in and log out: late answers are dropped
    listGeneration: 0,   // bumped on a new search
    cannedLoaded: false,
  };

  // ---- helpers ---------------------------------------------------------

  class ApiError extends Error {
    constructor(status, reason) {
      super(reason);
      this.status = status;
      this.reason = reason;
    }
  }

  // "+15551234567" -> "+1555***4567", as the server masks numbers in logs.
  function maskNumber(number) {
    const s = String(number || '');
    if (s.length <= 8) return '*'.repeat(s.length);
    return `${s.slice(0, 5)}***${s.slice(-4)}`;
  }

  function node(tag, className, text) {
    const e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function parseTime(iso) {
    if (!iso) return null;
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? null : d;
  }

  function formatTime(iso) {
    const d = parseTime(iso);
    if (!d) return '';
    const sameDay = d.toDateString() === new Date().toDateString();
    return sameDay
      ? d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
      : d.toLocaleString([], { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
  }

  // How long ago, short: "just now", "12 min", "3 h", "2 d".
  function formatAge(iso) {
    const d = parseTime(iso);
    if (!d) return '';
    const minutes = Math.max(0, Math.floor((Date.now() - d.getTime()) / 60000));
    if (minutes < 1) return 'just now';
    if (minutes < 60) return `${minutes} min`;
    const hours = Math.floor(minutes / 60);
    if (hours < 48) return `${hours} h`;
    return `${Math.floor(hours / 24)} d`;
  }

  function timeElement(iso, text, className) {
    const t = node('time', className, text);
    if (iso) {
      t.dateTime = iso;
      const d = parseTime(iso);
      if (d) t.title = d.toLocaleString();
    }
    return t;
  }

  function authorLabel(message) {
    const author = String(message.author || '');
    if (author === 'texter' || (!author && message.direction === 'in')) return 'Texter';
    if (author === 'bot' || (!author && message.direction === 'out')) {
      return message.intent ? `Bot (${message.intent})` : 'Bot';
    }
    const colon = author.indexOf(':');
    if (colon > 0) {
      const role = author.slice(0, colon);
      const name = author.slice(colon + 1);
      return `${role.charAt(0).toUpperCase()}${role.slice(1)} ${name}`;
    }
    return author;
  }

  function authorKind(message) {
    const author = String(message.author || '');
    if (author === 'texter' || (!author && message.direction === 'in')) return 'texter';
    if (author === 'bot' || !author) return 'bot';
    return 'operator';
  }

  function showError(text) {
    el.error.textContent = text;
    el.info.textContent = '';
  }

  function showInfo(text) {
    el.info.textContent = text;
    el.error.textContent = '';
  }

  function clearNotices() {
    el.error.textContent = '';
    el.info.textContent = '';
  }

  // A sentence an operator can act on, with the server's reason kept.
  function describeError(action, error) {
    if (!(error instanceof ApiError)) {
      return `${action} failed: the server could not be reached (${error.message}).`;
    }
    const reason = error.reason ? ` (${error.status}: ${error.reason})` : ` (${error.status})`;
    switch (error.status) {
      case 400: return `${action} failed: the request was not accepted${reason}.`;
      case 401: return `${action} failed: the access token is no longer valid${reason}. Log in again.`;
      case 403: return `${action} failed: your role (${state.me ? state.me.role : 'unknown'}) is not allowed to do that${reason}.`;
      case 404: return `${action} failed: not found${reason}.`;
      case 409: return `${action} failed: the texter has opted out, nothing can be sent to them${reason}.`;
      case 503: return `${action} failed: the service is unavailable or sending is not configured${reason}.`;
      default: return `${action} failed${reason}.`;
    }
  }

  async function api(method, path, body) {
    const headers = { Authorization: `Bearer ${state.token}`, Accept: 'application/json' };
    const init = { method, headers, cache: 'no-store', credentials: 'omit' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const response = await fetch(`/api/v1${path}`, init);
    const text = await response.text();
    let data = null;
    if (text) {
      try { data = JSON.parse(text); } catch (_) { data = null; }
    }
    if (!response.ok) {
      const reason = (data && typeof data.error === 'string' && data.error) || text.trim() || response.statusText;
      throw new ApiError(response.status, reason);
    }
    return data;
  }

  function numberPath(number) {
    return `/conversations/${encodeURIComponent(number)}`;
  }

  // A failed call: a 401 ends the session, anything else is shown.
  function handleFailure(action, error) {
    if (error instanceof ApiError && error.status === 401) {
      logOut();
      showError(describeError(action, error));
      return;
    }
    showError(describeError(action, error));
  }

  // ---- log in / log out -------------------------------------------------

  async function logIn(token) {
    state.token = token;
    const me = await api('GET', '/me');
    state.me = me;
    try { sessionStorage.setItem(TOKEN_KEY, token); } catch (_) { /* private mode: this page only */ }
    el.whoami.textContent = `${me.name} (${me.role})`;
    el.roleHint.hidden = me.role !== 'viewer';
    el.loginView.hidden = true;
    el.appView.hidden = false;
    el.session.hidden = false;
    el.token.value = '';
    state.session += 1;
    try {
      await Promise.all([refreshQueue(), reloadList(), loadCanned()]);
    } catch (error) {
      handleFailure('Loading conversations', error);
    }
    if (!state.me) return;
    openFromHash();
    schedulePoll();
  }

  function logOut() {
    try { sessionStorage.removeItem(TOKEN_KEY); } catch (_) { /* nothing stored */ }
    state.session += 1;
    clearTimeout(state.pollTimer);
    state.token = '';
    state.me = null;
    state.list = [];
    state.nextCursor = '';
    state.cannedLoaded = false;
    closeConversation();
    state.drafts.clear();
    el.queueList.replaceChildren();
    el.list.replaceChildren();
    el.canned.replaceChildren(el.canned.options[0]);
    el.search.value = '';
    el.filter.value = '';
    state.query = { q: '', filter: '' };
    el.appView.hidden = true;
    el.session.hidden = true;
    el.loginView.hidden = false;
    clearNotices();
    if (location.hash) history.replaceState(null, '', location.pathname + location.search);
    el.token.focus();
  }

  el.loginForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const token = el.token.value.trim();
    if (!token) return;
    const button = el.loginForm.querySelector('button');
    button.disabled = true;
    clearNotices();
    try {
      await logIn(token);
    } catch (error) {
      state.token = '';
      state.me = null;
      if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
        showError('That access token was not accepted.');
      } else {
        showError(describeError('Log in', error));
      }
      el.token.focus();
    } finally {
      button.disabled = false;
    }
  });

  el.logout.addEventListener('click', () => {
    logOut();
    showInfo('Logged out.');
  });

  // ---- lists -------------------------------------------------------------

  // Keeps keyed <li>s in place so a poll does not steal focus or flicker.
  function reconcile(listElement, entries, keyOf, create, update) {
    const existing = new Map();
    for (const child of Array.from(listElement.children)) existing.set(child.dataset.key, child);
    const wanted = new Set();
    entries.forEach((entry, index) => {
      const key = keyOf(entry);
      wanted.add(key);
      let item = existing.get(key);
      if (!item) {
        item = create(entry);
        item.dataset.key = key;
      }
      update(item, entry);
      const at = listElement.children[index];
      if (at !== item) listElement.insertBefore(item, at || null);
    });
    for (const [key, child] of existing) if (!wanted.has(key)) child.remove();
  }

  // Keys are not the number itself, so no full number lands in the DOM of a list.
  const listKeys = new Map();
  let nextListKey = 1;
  function keyFor(number) {
    if (!listKeys.has(number)) listKeys.set(number, `c${nextListKey++}`);
    return listKeys.get(number);
  }

  function createEntry(summary) {
    const li = node('li', 'entry');
    const top = node('div', 'entry-top');
    const button = node('button', 'number');
    button.type = 'button';
    const number = summary.number;
    button.addEventListener('click', () => openConversation(number, { focus: true }));
    const tags = node('span', 'tags');
    top.append(button, tags);
    const meta = node('div', 'entry-meta');
    const last = node('p', 'last');
    li.append(top, meta, last);
    return li;
  }

  function tagList(summary) {
    const tags = [];
    if (summary.mode === 'human') tags.push(['human', 'operator']);
    if (summary.flagged) tags.push(['flagged', 'flagged']);
    if (summary.opted_out) tags.push(['opted-out', 'opted out']);
    return tags;
  }

  function updateEntry(li, summary, withQueue) {
    const button = li.querySelector('button.number');
    button.textContent = maskNumber(summary.number);
    if (summary.number === state.openNumber) button.setAttribute('aria-current', 'true');
    else button.removeAttribute('aria-current');
    const tags = li.querySelector('.tags');
    tags.replaceChildren(...tagList(summary).map(([cls, text]) => node('span', `tag ${cls}`, text)));
    const meta = li.querySelector('.entry-meta');
    const parts = [];
    if (withQueue) {
      parts.push(node('span', 'reason', summary.reason || 'needs review'));
      parts.push(timeElement(summary.waiting_since, formatAge(summary.waiting_since), 'age'));
    } else {
      parts.push(timeElement(summary.last_at, formatTime(summary.last_at), 'when'));
    }
    meta.replaceChildren(...parts);
    li.querySelector('.last').textContent = summary.last_text || '';
  }

  async function refreshQueue() {
    const session = state.session;
    const data = await api('GET', '/handoffs');
    if (session !== state.session) return;
    const entries = (data && data.conversations) || [];
    reconcile(el.queueList, entries, (s) => keyFor(s.number), createEntry, (li, s) => updateEntry(li, s, true));
    el.queueEmpty.hidden = entries.length > 0;
  }

  function listQuery(limit, cursor) {
    const params = new URLSearchParams();
    if (state.query.q) params.set('q', state.query.q);
    if (state.query.filter === 'human' || state.query.filter === 'bot') params.set('mode', state.query.filter);
    if (state.query.filter === 'flagged') params.set('flagged', 'true');
    params.set('limit', String(limit));
    if (cursor) params.set('cursor', cursor);
    return `/conversations?${params.toString()}`;
  }

  function renderList() {
    reconcile(el.list, state.list, (s) => keyFor(s.number), createEntry, (li, s) => updateEntry(li, s, false));
    el.listEmpty.hidden = state.list.length > 0;
    el.more.hidden = !state.nextCursor;
  }

  function listIsCurrent(session, generation) {
    return session === state.session && generation === state.listGeneration;
  }

  async function reloadList() {
    const session = state.session;
    const generation = state.listGeneration;
    const data = await api('GET', listQuery(PAGE_SIZE, ''));
    if (!listIsCurrent(session, generation)) return;
    state.list = (data && data.conversations) || [];
    state.nextCursor = (data && data.next_cursor) || '';
    renderList();
  }

  // A poll refreshes every page shown so far in one request.
  async function refreshList() {
    if (state.list.length > MAX_LIMIT) return;
    const session = state.session;
    const generation = state.listGeneration;
    const limit = Math.min(MAX_LIMIT, Math.max(PAGE_SIZE, state.list.length));
    const data = await api('GET', listQuery(limit, ''));
    if (!listIsCurrent(session, generation)) return;
    state.list = (data && data.conversations) || [];
    state.nextCursor = (data && data.next_cursor) || '';
    renderList();
  }

  el.more.addEventListener('click', async () => {
    if (!state.nextCursor) return;
    el.more.disabled = true;
    const session = state.session;
    const generation = state.listGeneration;
    try {
      const data = await api('GET', listQuery(PAGE_SIZE, state.nextCursor));
      if (!listIsCurrent(session, generation)) return;
      const seen = new Set(state.list.map((s) => s.number));
      for (const s of (data && data.conversations) || []) if (!seen.has(s.number)) state.list.push(s);
      state.nextCursor = (data && data.next_cursor) || '';
      renderList();
    } catch (error) {
      handleFailure('Loading more conversations', error);
    } finally {
      el.more.disabled = false;
    }
  });

  async function applySearch() {
    state.query = { q: el.search.value.trim(), filter: el.filter.value };
    state.listGeneration += 1;
    try {
      await reloadList();
      clearNotices();
      if (state.query.q) {
        showInfo(`${state.list.length}${state.nextCursor ? '+' : ''} conversation${state.list.length === 1 ? '' : 's'} mention “${state.query.q}”.`);
      }
    } catch (error) {
      handleFailure('Search', error);
    }
  }

  el.searchForm.addEventListener('submit', (event) => {
    event.preventDefault();
    applySearch();
  });
  el.filter.addEventListener('change', () => applySearch());

  // ---- canned replies ------------------------------------------------------

  async function loadCanned() {
    if (state.cannedLoaded) return;
    let data;
    try {
      data = await api('GET', '/canned-replies');
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) throw error;
      return;  // the picker stays empty; replying by hand still works
    }
    const replies = (data && data.replies) || [];
    const options = replies.map((r, index) => {
      const option = node('option', '', r.title || r.id || `Reply ${index + 1}`);
      option.value = String(index);
      return option;
    });
    el.canned.replaceChildren(el.canned.options[0], ...options);
    el.canned.cannedTexts = replies.map((r) => String(r.text || ''));
    state.cannedLoaded = true;
  }

  el.canned.addEventListener('change', () => {
    const index = el.canned.value;
    if (index === '') return;
    const text = (el.canned.cannedTexts || [])[Number(index)] || '';
    const textarea = el.reply;
    const start = textarea.selectionStart ?? textarea.value.length;
    const end = textarea.selectionEnd ?? textarea.value.length;
    const before = textarea.value.slice(0, start);
    const after = textarea.value.slice(end);
    const spacer = before && !/\s$/.test(before) ? ' ' : '';
    textarea.value = `${before}${spacer}${text}${after}`;
    const caret = before.length + spacer.length + text.length;
    textarea.setSelectionRange(caret, caret);
    el.canned.value = '';
    updateCount();
    textarea.focus();
  });

  // ---- the open conversation ---------------------------------------------

  function closeConversation() {
    if (state.openNumber) state.drafts.set(state.openNumber, el.reply.value);
    state.openNumber = '';
    state.detail = null;
    state.messageItems.clear();
    state.noteItems.clear();
    el.messages.replaceChildren();
    el.notes.replaceChildren();
    el.reply.value = '';
    el.note.value = '';
    el.conversation.hidden = true;
    el.placeholder.hidden = false;
  }

  async function openConversation(number, { focus = false } = {}) {
    if (number !== state.openNumber) {
      closeConversation();
      clearNotices();  // a notice was about the conversation left behind
      state.openNumber = number;
      el.reply.value = state.drafts.get(number) || '';
      updateCount();
      const hash = `#/c/${encodeURIComponent(number)}`;
      if (location.hash !== hash) history.replaceState(null, '', hash);
      for (const button of document.querySelectorAll('button.number[aria-current]')) button.removeAttribute('aria-current');
    }
    try {
      await refreshConversation();
    } catch (error) {
      handleFailure('Opening the conversation', error);
      return;
    }
    // Mark the open one in both lists.
    renderList();
    for (const li of el.queueList.children) {
      const button = li.querySelector('button.number');
      if (li.dataset.key === keyFor(number)) button.setAttribute('aria-current', 'true');
      else button.removeAttribute('aria-current');
    }
    if (focus) {
      el.convNumber.focus();
      el.conversation.scrollIntoView({ block: 'nearest' });
    }
  }

  function openFromHash() {
    const match = /^#\/c\/(.+)$/.exec(location.hash);
    if (!match) return;
    let number;
    try { number = decodeURIComponent(match[1]); } catch (_) { return; }
    openConversation(number);
  }

  window.addEventListener('hashchange', () => {
    if (state.me) openFromHash();
  });

  async function refreshConversation() {
    const number = state.openNumber;
    if (!number) return;
    const session = state.session;
    let detail;
    try {
      detail = await api('GET', numberPath(number));
    } catch (error) {
      if (session === state.session && number === state.openNumber && error instanceof ApiError && error.status === 404) {
        closeConversation();
        if (location.hash) history.replaceState(null, '', location.pathname + location.search);
        showError('That conversation no longer exists.');
        return;
      }
      throw error;
    }
    if (session !== state.session || number !== state.openNumber) return;
    state.detail = detail;
    renderConversation(detail);
  }

  function renderConversation(detail) {
    el.placeholder.hidden = true;
    el.conversation.hidden = false;
    el.convNumber.textContent = detail.number;

    const states = [];
    states.push(detail.mode === 'human' ? 'An operator is in charge; the bot is not answering.' : 'The bot is answering.');
    if (detail.reason) {
      const waited = formatAge(detail.waiting_since);
      states.push(`In the handoff queue: ${detail.reason}${waited ? ` (${waited})` : ''}.`);
    } else if (detail.flagged) {
      states.push('Flagged for review.');
    }
    if (detail.opted_out) states.push('Opted out: nothing can be sent.');
    el.convState.textContent = states.join(' ');
    el.convState.className = `state mode-${detail.mode === 'human' ? 'human' : 'bot'}${detail.opted_out ? ' opted-out' : ''}`;

    const profile = detail.profile || {};
    el.weight.textContent = typeof profile.weight_kg === 'number' ? `${Math.round(profile.weight_kg * 10) / 10} kg` : 'not known';
    el.goal.textContent = profile.goal ? String(profile.goal).replace(/_/g, ' ') : 'not known';
    const meds = Array.isArray(profile.medications) ? profile.medications : [];
    el.medications.textContent = meds.length ? meds.join(', ') : 'none known';

    renderMessages(detail.messages || []);
    renderNotes(detail.notes || []);
  }

  function renderMessages(messages) {
    const nearBottom = el.transcript.scrollHeight - el.transcript.scrollTop - el.transcript.clientHeight < 40;
    let added = false;
    messages.forEach((message, index) => {
      const key = message.id !== undefined && message.id !== null ? String(message.id) : `i${index}`;
      let item = state.messageItems.get(key);
      if (!item) {
        item = createMessage(message);
        state.messageItems.set(key, item);
        el.messages.append(item);
        added = true;
      }
      updateMessage(item, message);
    });
    el.messagesEmpty.hidden = messages.length > 0;
    if (added && (nearBottom || el.messages.children.length === messages.length)) {
      el.transcript.scrollTop = el.transcript.scrollHeight;
    }
  }

  function createMessage(message) {
    const li = node('li', `message ${message.direction === 'in' ? 'in' : 'out'} ${authorKind(message)}`);
    const meta = node('div', 'meta');
    const who = node('span', 'who', authorLabel(message));
    meta.append(who, timeElement(message.at, formatTime(message.at), 'when'));
    const extra = node('span', 'extra');
    meta.append(extra);
    const body = node('p', 'body', message.body);
    li.append(meta, body);
    if (message.direction === 'in' && message.intent && message.id !== undefined && message.id !== null) {
      li.append(createRelabel(message));
    }
    return li;
  }

  function updateMessage(li, message) {
    const parts = [];
    if (message.direction === 'in' && message.intent) parts.push(`understood as ${message.intent}`);
    if (message.relabel) parts.push(`staff label: ${message.relabel}`);
    if (message.direction === 'out' && message.delivery) parts.push(`delivery: ${message.delivery}`);
    li.querySelector('.extra').textContent = parts.join(' · ');
    li.classList.toggle('relabelled', Boolean(message.relabel));
    li.classList.toggle('failed', message.delivery === 'failed' || message.delivery === 'undelivered');
  }

  function createRelabel(message) {
    const details = node('details', 'relabel');
    const summary = node('summary', '', 'Relabel');
    const form = node('form', 'relabel-form');
    const select = node('select');
    select.setAttribute('aria-label', 'Correct intent');
    select.append(node('option', '', 'Choose the right intent…'));
    select.options[0].value = '';
    for (const intent of INTENTS) {
      const option = node('option', '', intent);
      option.value = intent;
      select.append(option);
    }
    const save = node('button', '', 'Save label');
    save.type = 'submit';
    form.append(select, save);
    details.append(summary, form);
    const id = message.id;
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (!select.value) {
        showError('Choose the correct intent first.');
        select.focus();
        return;
      }
      save.disabled = true;
      try {
        await api('POST', `/messages/${encodeURIComponent(String(id))}/relabel`, { intent: select.value });
        showInfo(`Relabelled as ${select.value}.`);
        details.open = false;
        await refreshConversation();
      } catch (error) {
        handleFailure('Relabelling', error);
      } finally {
        save.disabled = false;
      }
    });
    return details;
  }

  function renderNotes(notes) {
    notes.forEach((note, index) => {
      const key = note.id !== undefined && note.id !== null ? String(note.id) : `i${index}`;
      if (state.noteItems.has(key)) return;
      const li = node('li', 'note');
      const meta = node('div', 'meta');
      meta.append(node('span', 'who', note.author || 'staff'), timeElement(note.at, formatTime(note.at), 'when'));
      li.append(meta, node('p', 'body', note.body));
      state.noteItems.set(key, li);
      el.notes.append(li);
    });
  }

  async function act(button, action, run) {
    if (!state.openNumber) return;
    button.disabled = true;
    try {
      await run(state.openNumber);
    } catch (error) {
      handleFailure(action, error);
      return;
    } finally {
      button.disabled = false;
    }
    try {
      await Promise.all([refreshConversation(), refreshQueue(), refreshList()]);
    } catch (error) {
      handleFailure('Refreshing', error);
    }
  }

  el.takeover.addEventListener('click', () => act(el.takeover, 'Taking over', async (number) => {
    await api('POST', `${numberPath(number)}/takeover`);
    showInfo('You are in charge of this conversation; the bot will not answer it.');
  }));

  el.release.addEventListener('click', () => act(el.release, 'Handing back', async (number) => {
    await api('POST', `${numberPath(number)}/release`);
    showInfo('Handed back to the bot.');
  }));

  function updateCount() {
    const length = el.reply.value.length;
    el.replyCount.textContent = length ? `${length} characters` : '';
  }
  el.reply.addEventListener('input', updateCount);

  el.replyForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const body = el.reply.value.trim();
    if (!body) {
      showError('Type a reply first.');
      el.reply.focus();
      return;
    }
    act(el.send, 'Sending', async (number) => {
      await api('POST', `${numberPath(number)}/messages`, { body });
      if (state.openNumber === number && el.reply.value.trim() === body) el.reply.value = '';
      state.drafts.delete(number);
      updateCount();
      showInfo('Reply queued for sending.');
    });
  });

  // Ctrl+Enter (or Cmd+Enter) sends.
  el.reply.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      el.replyForm.requestSubmit();
    }
  });

  el.noteForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const body = el.note.value.trim();
    if (!body) {
      showError('Type a note first.');
      el.note.focus();
      return;
    }
    const button = el.noteForm.querySelector('button');
    act(button, 'Adding the note', async (number) => {
      await api('POST', `${numberPath(number)}/notes`, { body });
      if (state.openNumber === number) el.note.value = '';
      showInfo('Note added.');
    });
  });

  // ---- export ---------------------------------------------------------------

  el.exportForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const format = el.exportFormat.value === 'csv' ? 'csv' : 'jsonl';
    const button = el.exportForm.querySelector('button');
    button.disabled = true;
    try {
      const response = await fetch(`/api/v1/export?format=${format}`, {
        headers: { Authorization: `Bearer ${state.token}` }, cache: 'no-store', credentials: 'omit',
      });
      if (!response.ok) {
        const text = await response.text();
        let reason = text.trim() || response.statusText;
        try { reason = JSON.parse(text).error || reason; } catch (_) { /* plain text */ }
        throw new ApiError(response.status, reason);
      }
      const blob = await response.blob();
      const url = URL.createObjectURL(blob);
      const link = document.createElement('a');
      link.href = url;
      link.download = `smscoach-export-${new Date().toISOString().slice(0, 10)}.${format}`;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      showInfo('Export downloaded.');
    } catch (error) {
      handleFailure('Export', error);
    } finally {
      button.disabled = false;
    }
  });

  // ---- polling --------------------------------------------------------------

  let offline = false;

  function schedulePoll() {
    clearTimeout(state.pollTimer);
    state.pollTimer = setTimeout(poll, POLL_MS);
  }

  async function poll() {
    if (!state.me) return;
    if (document.hidden) {
      schedulePoll();
      return;
    }
    if (state.polling) return;
    state.polling = true;
    try {
      await Promise.all([refreshQueue(), refreshList(), refreshConversation()]);
      if (offline) {
        offline = false;
        showInfo('Connected again.');
      }
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        handleFailure('Refreshing', error);
        return;
      }
      if (!offline) {
        offline = true;
        showError(describeError('Refreshing', error));
      }
    } finally {
      state.polling = false;
      if (state.me) schedulePoll();
    }
  }

  document.addEventListener('visibilitychange', () => {
    if (!document.hidden && state.me) {
      clearTimeout(state.pollTimer);
      poll();
    }
  });

  // ---- start ----------------------------------------------------------------

  let saved = '';
  try { saved = sessionStorage.getItem(TOKEN_KEY) || ''; } catch (_) { saved = ''; }
  if (saved) {
    logIn(saved).catch((error) => {
      state.token = '';
      state.me = null;
      try { sessionStorage.removeItem(TOKEN_KEY); } catch (_) { /* nothing stored */ }
      if (error instanceof ApiError && error.status === 401) showError('Your session has ended. Log in again.');
      else showError(describeError('Log in', error));
    });
  } else {
    el.token.focus();
  }
})();

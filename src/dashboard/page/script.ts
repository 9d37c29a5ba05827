/**
 * The page's script: plain browser JavaScript (no framework), run under the page's nonce. Every value
 * from the server is written with `textContent` or as an attribute, never parsed as HTML.
 */
export const SCRIPT = String.raw`
(function () {
  'use strict';
  var config = JSON.parse(document.getElementById('dashboard-config').textContent || '{}');
  var ROW = 30;
  var JSON_HEADERS = { 'Content-Type': 'application/json', 'X-Cancelable-Dashboard': '1' };
  var fleet = config.kind === 'fleet';
  var rows = new Map();
  var order = [];
  var depth = new Map();
  var selected = null;
  var view = 'live';
  var filter = { name: '', host: '', status: '' };
  var stats = null;
  var drawScheduled = false;
  var historyRows = [];

  function byId(id) { return document.getElementById(id); }
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function pad(n) { return n < 10 ? '0' + n : String(n); }
  function duration(ms) {
    if (ms === null || ms === undefined || !isFinite(ms) || ms < 0) return '';
    var s = Math.floor(ms / 1000);
    if (s < 60) return s + 's';
    var m = Math.floor(s / 60);
    if (m < 60) return m + 'm ' + pad(s % 60) + 's';
    return Math.floor(m / 60) + 'h ' + pad(m % 60) + 'm';
  }
  function clock(epoch) {
    if (typeof epoch !== 'number') return '';
    var d = new Date(epoch);
    return pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds()) + '.' + String(d.getMilliseconds() + 1000).slice(1);
  }
  function shownStatus(row) { return row.status === 'running' && row.requested ? 'cancelling' : row.status; }
  function reasonText(row) {
    if (row.error) return row.error;
    if (row.cancelReason) return row.cancelReason + (row.cancelMessage ? ': ' + row.cancelMessage : '');
    if (row.requested) return 'requested: ' + row.requested;
    return '';
  }
  function matches(row) {
    if (filter.status && shownStatus(row) !== filter.status && row.status !== filter.status) return false;
    if (filter.name && row.name.toLowerCase().indexOf(filter.name.toLowerCase()) === -1) return false;
    if (filter.host && (row.host || '').toLowerCase().indexOf(filter.host.toLowerCase()) === -1) return false;
    return true;
  }

  var toastTimer = 0;
  function toast(message, isError) {
    var node = byId('toast');
    node.textContent = message;
    node.className = isError ? 'error' : '';
    node.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { node.hidden = true; }, 5000);
  }

  function request(path, body) {
    var init = body === undefined ? { credentials: 'same-origin' } :
      { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(body), credentials: 'same-origin' };
    return fetch(path, init).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (json) {
        if (!response.ok) throw new Error((json.error && json.error.message) || ('HTTP ' + response.status));
        return json;
      });
    });
  }

  // ---------------------------------------------------------------- a virtual list: only visible rows exist
  function VirtualList(container, create, update) {
    this.container = container;
    this.spacer = el('div', 'spacer');
    container.appendChild(this.spacer);
    this.pool = [];
    this.items = [];
    this.create = create;
    this.update = update;
    var self = this;
    container.addEventListener('scroll', function () { self.draw(); }, { passive: true });
  }
  VirtualList.prototype.setItems = function (items) {
    this.items = items;
    this.spacer.style.height = (items.length * ROW) + 'px';
    this.draw();
  };
  VirtualList.prototype.draw = function () {
    var top = this.container.scrollTop;
    var height = this.container.clientHeight || 600;
    var first = Math.max(0, Math.floor(top / ROW) - 5);
    var last = Math.min(this.items.length, Math.ceil((top + height) / ROW) + 5);
    while (this.pool.length < last - first) {
      var node = this.create();
      this.spacer.appendChild(node);
      this.pool.push(node);
    }
    for (var i = 0; i < this.pool.length; i++) {
      var item = this.pool[i];
      var index = first + i;
      if (index < last) {
        item.hidden = false;
        item.style.transform = 'translateY(' + (index * ROW) + 'px)';
        this.update(item, this.items[index]);
      } else {
        item.hidden = true;
        item.removeAttribute('data-id');
      }
    }
  };

  function cell(row, className) { var node = el('span', className); row.appendChild(node); return node; }

  function createLiveRow() {
    var node = el('div', 'row');
    node.setAttribute('role', 'row');
    node.cells = {
      name: cell(node, 'c-name'),
      status: el('span', 'status'),
      age: null, progress: null, reason: null, host: null, cancel: null, subtree: null
    };
    var statusCell = cell(node, 'c-status');
    statusCell.appendChild(node.cells.status);
    node.cells.age = cell(node, 'c-age');
    node.cells.progress = cell(node, 'c-progress');
    node.cells.reason = cell(node, 'c-reason');
    if (fleet) node.cells.host = cell(node, 'c-host');
    var actions = cell(node, 'c-actions');
    if (!config.readOnly) {
      node.cells.cancel = el('button', 'danger', 'Cancel');
      node.cells.cancel.setAttribute('data-action', 'cancel');
      node.cells.subtree = el('button', 'danger', 'Subtree');
      node.cells.subtree.setAttribute('data-action', 'cancel-subtree');
      node.cells.subtree.title = 'Cancel this operation and every operation under it, each with the message';
      actions.appendChild(node.cells.cancel);
      actions.appendChild(node.cells.subtree);
    }
    return node;
  }

  function updateLiveRow(node, id) {
    var row = rows.get(id);
    if (!row) return;
    var c = node.cells;
    node.setAttribute('data-id', row.id);
    node.classList.toggle('selected', row.id === selected);
    c.name.textContent = row.name;
    c.name.style.textIndent = (Math.min(depth.get(row.id) || 0, 20) * 14) + 'px';
    c.name.title = row.name;
    var status = shownStatus(row);
    c.status.textContent = status;
    c.status.className = 'status ' + status;
    var end = row.endTime !== null ? row.endTime : Date.now();
    c.age.textContent = row.startTime !== null ? duration(end - row.startTime) : '';
    c.progress.textContent = row.progress ? row.progress.message : '';
    c.reason.textContent = reasonText(row);
    c.reason.title = reasonText(row);
    if (c.host) c.host.textContent = row.host ? row.host + (row.pid ? ':' + row.pid : '') : '';
    if (c.cancel) {
      var live = row.status === 'running';
      c.cancel.hidden = !live;
      c.subtree.hidden = !live;
    }
  }

  function createHistoryRow() {
    var node = el('div', 'row');
    node.cells = {};
    node.cells.name = cell(node, 'c-name');
    var statusCell = cell(node, 'c-status');
    node.cells.status = el('span', 'status');
    statusCell.appendChild(node.cells.status);
    node.cells.age = cell(node, 'c-age');
    node.cells.reason = cell(node, 'c-reason');
    node.cells.ended = cell(node, 'c-progress');
    if (fleet) node.cells.host = cell(node, 'c-host');
    return node;
  }

  function updateHistoryRow(node, row) {
    var c = node.cells;
    node.setAttribute('data-id', row.id);
    c.name.textContent = row.name;
    c.status.textContent = row.status;
    c.status.className = 'status ' + row.status;
    c.age.textContent = row.startTime !== null && row.endTime !== null ? duration(row.endTime - row.startTime) : '';
    c.reason.textContent = reasonText(row);
    c.ended.textContent = row.endTime !== null ? 'ended ' + clock(row.endTime) : '';
    if (c.host) c.host.textContent = row.host || '';
  }

  var liveList = new VirtualList(byId('live-list'), createLiveRow, updateLiveRow);
  var historyList = new VirtualList(byId('history-list'), createHistoryRow, updateHistoryRow);

  // ---------------------------------------------------------------- tree order
  function rebuild() {
    var children = new Map();
    var roots = [];
    rows.forEach(function (row) {
      if (row.parentId !== null && rows.has(row.parentId) && row.parentId !== row.id) {
        var list = children.get(row.parentId);
        if (!list) children.set(row.parentId, list = []);
        list.push(row);
      } else {
        roots.push(row);
      }
    });
    function byStart(a, b) { return ((a.startTime || 0) - (b.startTime || 0)) || (a.id < b.id ? -1 : 1); }
    roots.sort(byStart);
    var next = [];
    var levels = new Map();
    var stack = [];
    var seen = new Set();
    for (var i = roots.length - 1; i >= 0; i--) stack.push([roots[i], 0]);
    while (stack.length) {
      var item = stack.pop();
      var row = item[0];
      if (seen.has(row.id)) continue;
      seen.add(row.id);
      levels.set(row.id, item[1]);
      if (matches(row)) next.push(row.id);
      var kids = children.get(row.id);
      if (kids) {
        kids.sort(byStart);
        for (var j = kids.length - 1; j >= 0; j--) stack.push([kids[j], item[1] + 1]);
      }
    }
    order = next;
    depth = levels;
  }

  function renderStats() {
    var node = byId('stats');
    clear(node);
    if (!stats) return;
    node.appendChild(el('span', '', stats.running + ' running'));
    var recent = stats.recent || {};
    Object.keys(recent).sort().forEach(function (key) {
      node.appendChild(el('span', 'dim', recent[key] + ' ' + key + ' (recent)'));
    });
    if (stats.untracked) node.appendChild(el('span', 'dim', stats.untracked + ' not shown (limit reached)'));
    if (filter.name || filter.host || filter.status) node.appendChild(el('span', 'dim', order.length + ' match'));
  }

  function draw() {
    drawScheduled = false;
    rebuild();
    liveList.setItems(order);
    byId('live-empty').hidden = order.length > 0;
    renderStats();
  }
  function scheduleDraw() {
    if (drawScheduled) return;
    drawScheduled = true;
    requestAnimationFrame(draw);
  }

  // ---------------------------------------------------------------- live updates
  var detailTimer = 0;
  function connect() {
    var source = new EventSource('api/events');
    var conn = byId('conn');
    source.addEventListener('open', function () { conn.textContent = 'live'; conn.className = 'conn live'; });
    source.addEventListener('error', function () { conn.textContent = 'reconnecting'; conn.className = 'conn'; });
    source.addEventListener('reset', function () { rows.clear(); scheduleDraw(); });
    source.addEventListener('ops', function (event) {
      var message = JSON.parse(event.data);
      var touched = false;
      message.rows.forEach(function (row) {
        rows.set(row.id, row);
        if (row.id === selected) touched = true;
      });
      message.removed.forEach(function (id) { rows.delete(id); });
      stats = message.stats;
      scheduleDraw();
      if (touched && !detailTimer) detailTimer = setTimeout(function () { detailTimer = 0; if (selected) showDetail(selected, true); }, 500);
    });
  }

  // ---------------------------------------------------------------- detail
  function field(list, label, value) {
    if (value === null || value === undefined || value === '') return;
    list.appendChild(el('dt', '', label));
    list.appendChild(el('dd', '', value));
  }
  function linkTo(id, label) {
    var button = el('button', 'link', label);
    button.setAttribute('data-goto', id);
    return button;
  }
  function showDetail(id, quiet) {
    selected = id;
    liveList.draw();
    request('api/operations/' + encodeURIComponent(id)).then(renderDetail, function (error) {
      if (!quiet) toast(error.message, true);
    });
  }
  function renderDetail(detail) {
    var op = detail.operation;
    if (op.id !== selected) return;
    var aside = byId('detail');
    clear(aside);
    aside.hidden = false;
    var close = el('button', '', 'Close');
    close.setAttribute('data-close', '1');
    aside.appendChild(close);
    aside.appendChild(el('h2', '', op.name));
    if (detail.parents.length) {
      var chain = el('div', 'chain');
      detail.parents.forEach(function (parent) {
        chain.appendChild(linkTo(parent.id, parent.name));
        chain.appendChild(el('span', 'dim', '›'));
      });
      chain.appendChild(el('span', '', op.name));
      aside.appendChild(chain);
    }
    var list = el('dl');
    field(list, 'id', op.id);
    field(list, 'status', op.status === 'running' && op.requested ? 'cancelling' : op.status);
    field(list, 'started', op.startTime !== null ? new Date(op.startTime).toISOString() : '');
    field(list, 'duration', duration(op.durationMs !== null ? op.durationMs : (op.startTime !== null ? Date.now() - op.startTime : null)));
    field(list, 'reason', op.cancelReason);
    field(list, 'message', op.cancelMessage);
    field(list, 'cancel requested', op.requested);
    field(list, 'error', op.error);
    field(list, 'host', op.host);
    field(list, 'pid', op.pid);
    field(list, 'progress', op.progress ? op.progress.message : '');
    aside.appendChild(list);
    if (!config.readOnly && op.status === 'running') {
      var act = el('div', 'modal-actions');
      var cancel = el('button', 'danger', 'Cancel…');
      cancel.setAttribute('data-detail-action', 'cancel');
      var subtree = el('button', 'danger', 'Cancel subtree…');
      subtree.setAttribute('data-detail-action', 'cancel-subtree');
      act.appendChild(cancel);
      act.appendChild(subtree);
      aside.appendChild(act);
    }
    if (detail.children.length) {
      aside.appendChild(el('h3', '', 'Children (' + detail.children.length + ')'));
      var kids = el('ol');
      detail.children.forEach(function (child) {
        var item = el('li');
        item.appendChild(linkTo(child.id, child.name));
        item.appendChild(el('span', 'dim', ' ' + child.status));
        kids.appendChild(item);
      });
      aside.appendChild(kids);
    }
    aside.appendChild(el('h3', '', 'Progress timeline (newest first)'));
    if (detail.progress.length) {
      var timeline = el('ol');
      detail.progress.slice().reverse().forEach(function (point) {
        var item = el('li');
        item.appendChild(el('span', 'dim', clock(point.at) + ' '));
        item.appendChild(el('span', '', point.message));
        timeline.appendChild(item);
      });
      aside.appendChild(timeline);
    } else {
      aside.appendChild(el('p', 'dim', 'No progress reported.'));
    }
    aside.appendChild(el('h3', '', 'Metadata'));
    aside.appendChild(el('pre', '', JSON.stringify(op.metadata, null, 2)));
    if (op.partialResult !== null && op.partialResult !== undefined) {
      aside.appendChild(el('h3', '', 'Partial result'));
      aside.appendChild(el('pre', '', JSON.stringify(op.partialResult, null, 2)));
    }
  }

  // ---------------------------------------------------------------- actions
  var pending = null;
  function openModal(title, text, confirmLabel, run) {
    pending = run;
    byId('modal-title').textContent = title;
    byId('modal-text').textContent = text;
    byId('modal-confirm').textContent = confirmLabel;
    byId('modal-message').value = '';
    byId('modal').hidden = false;
    byId('modal-message').focus();
  }
  function closeModal() { byId('modal').hidden = true; pending = null; }
  function confirmModal() {
    var run = pending;
    var message = byId('modal-message').value;
    closeModal();
    if (run) run(message);
  }
  function askCancel(id, subtree) {
    var row = rows.get(id);
    var name = row ? row.name : id;
    openModal(subtree ? 'Cancel a subtree' : 'Cancel an operation',
      (subtree ? 'Cancel "' + name + '" and every operation under it.' : 'Cancel "' + name + '".') + ' The message is recorded with the cancellation.',
      subtree ? 'Cancel subtree' : 'Cancel operation',
      function (message) {
        if (row && row.status === 'running') { row.requested = message || 'Cancelled from the dashboard'; scheduleDraw(); }
        request('api/operations/' + encodeURIComponent(id) + (subtree ? '/cancel-subtree' : '/cancel'), { message: message })
          .then(function (result) {
            toast(subtree ? 'Cancelled ' + result.cancelled + ' of ' + result.matched + ' operations' : (result.cancelled ? 'Cancelled "' + name + '"' : '"' + name + '" was already cancelled'));
          }, function (error) { toast(error.message, true); });
      });
  }
  function askCancelMatching() {
    var body = { filter: {} };
    if (filter.name) body.filter.name = filter.name;
    if (filter.host) body.filter.host = filter.host;
    if (!body.filter.name && !body.filter.host) { toast('Type a name (or host) filter first', true); return; }
    var count = order.filter(function (id) { var r = rows.get(id); return r && r.status === 'running'; }).length;
    openModal('Cancel matching operations', 'Cancel the ' + count + ' running operations whose ' +
      (body.filter.name ? 'name contains "' + body.filter.name + '"' : 'host contains "' + body.filter.host + '"') + '.',
      'Cancel ' + count, function (message) {
        body.message = message;
        request('api/cancel', body).then(function (result) {
          toast('Cancelled ' + result.cancelled + ' of ' + result.matched + ' matching operations');
        }, function (error) { toast(error.message, true); });
      });
  }

  // ---------------------------------------------------------------- history
  function loadHistory() {
    var query = ['limit=1000'];
    if (filter.name) query.push('name=' + encodeURIComponent(filter.name));
    if (filter.host) query.push('host=' + encodeURIComponent(filter.host));
    if (filter.status) query.push('status=' + encodeURIComponent(filter.status));
    request('api/history?' + query.join('&')).then(function (result) {
      historyRows = result.rows;
      historyList.setItems(historyRows);
      byId('history-empty').hidden = historyRows.length > 0;
    }, function (error) { toast(error.message, true); });
  }

  function setView(next) {
    view = next;
    byId('live-view').hidden = next !== 'live';
    byId('history-view').hidden = next !== 'history';
    byId('tab-live').classList.toggle('active', next === 'live');
    byId('tab-history').classList.toggle('active', next === 'history');
    if (next === 'history') loadHistory(); else liveList.draw();
  }

  // ---------------------------------------------------------------- wiring
  document.title = config.title;
  byId('title').textContent = config.title;
  byId('source').textContent = config.description + (config.readOnly ? ' · read-only' : '');
  if (fleet) { byId('filter-host').hidden = false; byId('head-host').hidden = false; byId('hist-head-host').hidden = false; }
  if (config.readOnly) { byId('head-actions').textContent = ''; }
  byId('cancel-matching').hidden = !!config.readOnly;

  byId('live-list').addEventListener('click', function (event) {
    var target = event.target;
    var rowNode = target.closest('.row');
    if (!rowNode) return;
    var id = rowNode.getAttribute('data-id');
    if (!id) return;
    var action = target.closest('[data-action]');
    if (action) {
      event.stopPropagation();
      askCancel(id, action.getAttribute('data-action') === 'cancel-subtree');
      return;
    }
    showDetail(id);
  });
  byId('history-list').addEventListener('click', function (event) {
    var rowNode = event.target.closest('.row');
    if (rowNode && rowNode.getAttribute('data-id')) showDetail(rowNode.getAttribute('data-id'));
  });
  byId('detail').addEventListener('click', function (event) {
    var target = event.target;
    var go = target.closest('[data-goto]');
    if (go) { showDetail(go.getAttribute('data-goto')); return; }
    var act = target.closest('[data-detail-action]');
    if (act && selected) { askCancel(selected, act.getAttribute('data-detail-action') === 'cancel-subtree'); return; }
    if (target.closest('[data-close]')) { selected = null; byId('detail').hidden = true; liveList.draw(); }
  });
  byId('modal-confirm').addEventListener('click', confirmModal);
  byId('modal-back').addEventListener('click', closeModal);
  byId('modal-message').addEventListener('keydown', function (event) {
    if (event.key === 'Enter') { event.preventDefault(); confirmModal(); }
    if (event.key === 'Escape') closeModal();
  });
  byId('tab-live').addEventListener('click', function () { setView('live'); });
  byId('tab-history').addEventListener('click', function () { setView('history'); });
  byId('cancel-matching').addEventListener('click', askCancelMatching);
  var filterTimer = 0;
  function onFilter() {
    clearTimeout(filterTimer);
    filterTimer = setTimeout(function () {
      filter.name = byId('filter-name').value.slice(0, 200);
      filter.host = byId('filter-host').value.slice(0, 200);
      filter.status = byId('filter-status').value;
      liveList.container.scrollTop = 0;
      if (view === 'history') loadHistory(); else scheduleDraw();
    }, 120);
  }
  byId('filter-name').addEventListener('input', onFilter);
  byId('filter-host').addEventListener('input', onFilter);
  byId('filter-status').addEventListener('change', onFilter);
  setInterval(function () { if (view === 'live') liveList.draw(); }, 1000);
  connect();
})();
`;

/**
 * The second half of the page's script: the event stream, the detail panel, the actions (a small
 * modal, then a POST with the JSON content type and the dashboard's header), the history and the
 * wiring. Shares the scope of {@link SCRIPT_VIEW}.
 */
export const SCRIPT_ACTIONS = String.raw`
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
`;

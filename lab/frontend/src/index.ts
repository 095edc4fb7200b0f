/**
 * kizuna lab: a message notebook refreshes itself after each save.
 *
 * kizuna's contents manager merges a saved notebook into the workspace files and rebuilds the
 * notebook from them: the note cell above each message shows its findings, its sign-off state
 * (an edit withdraws approvals) and its text as a sample town reads it, and a new message cell
 * gets its metadata. JupyterLab does not load what a save produced, so without this plugin
 * the writer had to choose "Reload from Disk". After every completed save of a notebook whose
 * metadata carries the "kizuna" key, the plugin fetches the notebook again and patches the open
 * one in place, cell by cell (cells matched by message id; a note by the message below it):
 * only what changed is touched, so the active cell, the edit mode, the cursor and the scroll
 * position stay as they were (a reload would rebuild every cell).
 *
 * - What the writer typed while the save was under way is not lost: a cell edited since the save
 *   started keeps its text (it takes the fresh metadata, so the next save is a plain edit), a
 *   cell added since then stays, and the notebook stays unsaved.
 * - If another save starts before the fresh notebook arrives, only the last one refreshes.
 */
import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { DocumentRegistry } from '@jupyterlab/docregistry';
import { INotebookModel, INotebookTracker, Notebook, NotebookPanel } from '@jupyterlab/notebook';
import type { Cell, ICellModel } from '@jupyterlab/cells';
import type { Contents } from '@jupyterlab/services';
import type { MultilineString } from '@jupyterlab/nbformat';

/** The notebook and cell metadata key of kizuna's notebooks. */
const KEY = 'kizuna';
/** A new message's first line, as a writer types it: `<!-- B17d b17d-nail-care -->`. */
const HEADER = /^<!--\s*\S+\s+([^\s>]+)\s*-->[ \t]*(\r?\n|$)/;

type Meta = { [key: string]: unknown };

/** The message a cell holds: its metadata id, or the id its first line names. */
export function messageKey(cell: ICellModel): string | null {
  const meta = cell.getMetadata(KEY) as Meta | undefined;
  if (meta && typeof meta.id === 'string') {
    return meta.id;
  }
  const header = HEADER.exec(cell.sharedModel.getSource());
  return header ? header[1] : null;
}

/** Where the writer is: restored after the refresh. */
interface IPlace {
  widget: Cell | null;
  key: string | null;
  /** how many cells above the cell holding `key` the active cell is */
  offset: number;
  index: number;
  mode: 'command' | 'edit';
  cursor: { line: number; column: number } | null;
  scrollTop: number;
  top: number | null;
  focused: boolean;
}

function snapshot(model: INotebookModel): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < model.cells.length; i++) {
    const cell = model.cells.get(i);
    out.set(cell.id, cell.sharedModel.getSource());
  }
  return out;
}

/** A cell as the server sent it. */
interface IFreshCell {
  cell_type: string;
  source: MultilineString;
  metadata?: Meta;
  [key: string]: unknown;
}

function text(source: MultilineString): string {
  return Array.isArray(source) ? source.join('') : source;
}

function freshKey(cell: IFreshCell): string | null {
  const meta = cell.metadata?.[KEY] as Meta | undefined;
  if (meta && typeof meta.id === 'string') {
    return meta.id;
  }
  const header = HEADER.exec(text(cell.source));
  return header ? header[1] : null;
}

/**
 * What a cell is, to match the open notebook's cells with the fresh ones: a message cell by
 * its id; any other cell (a note, the introduction) by the message below it and its place
 * among the cells above that message.
 */
function signatures(cells: { type: string; key: string | null }[]): string[] {
  const out: string[] = new Array(cells.length);
  let run: number[] = [];
  const close = (below: string): void => {
    run.forEach((at, nth) => {
      out[at] = `${cells[at].type}:above:${below}:${nth}`;
    });
    run = [];
  };
  cells.forEach((cell, at) => {
    if (cell.key) {
      out[at] = `${cell.type}:message:${cell.key}`;
      close(cell.key);
    } else {
      run.push(at);
    }
  });
  close('');
  return out;
}

type Step = { op: 'keep'; from: number; to: number } | { op: 'drop'; from: number } | { op: 'add'; to: number };

/** The shortest edit turning one list of signatures into the other (longest common subsequence). */
export function align(from: string[], to: string[]): Step[] {
  const n = from.length;
  const m = to.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i][j] = from[i] === to[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const steps: Step[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && from[i] === to[j]) {
      steps.push({ op: 'keep', from: i++, to: j++ });
    } else if (j < m && (i === n || lcs[i][j + 1] >= lcs[i + 1][j])) {
      steps.push({ op: 'add', to: j++ });
    } else {
      steps.push({ op: 'drop', from: i++ });
    }
  }
  return steps;
}

function setAllMetadata(
  target: { getMetadata(key: string): unknown; setMetadata(key: string, value: unknown): void; deleteMetadata(key: string): void },
  current: Meta,
  wanted: Meta
): void {
  for (const key of Object.keys(current)) {
    if (!(key in wanted)) {
      target.deleteMetadata(key);
    }
  }
  for (const [key, value] of Object.entries(wanted)) {
    if (JSON.stringify(current[key]) !== JSON.stringify(value)) {
      target.setMetadata(key, value);
    }
  }
}

/**
 * Make the open notebook the fresh one, touching only what differs; cells typed in since the
 * save started keep their text. Returns how many such cells there are.
 */
function patch(model: INotebookModel, fresh: { cells: IFreshCell[]; metadata: Meta }, atSave: Map<string, string>): number {
  const open: ICellModel[] = [];
  let typed = 0;
  for (let i = 0; i < model.cells.length; i++) {
    const cell = model.cells.get(i);
    if (atSave.has(cell.id)) {
      open.push(cell);
    } else {
      typed += 1; // added since the save started: it stays where it is
    }
  }
  const steps = align(
    signatures(open.map(c => ({ type: c.type, key: messageKey(c) }))),
    signatures(fresh.cells.map(c => ({ type: c.cell_type, key: freshKey(c) })))
  );
  // indices into the notebook as the edits go (cells added since the save started are stepped over)
  const live: (ICellModel | null)[] = [];
  for (let i = 0; i < model.cells.length; i++) {
    live.push(model.cells.get(i));
  }
  model.sharedModel.transact(() => {
    let at = 0;
    const skipAdded = (): void => {
      while (at < live.length && live[at] !== null && !atSave.has(live[at]!.id)) {
        at += 1;
      }
    };
    for (const step of steps) {
      skipAdded();
      if (step.op === 'drop') {
        model.sharedModel.deleteCell(at);
        live.splice(at, 1);
      } else if (step.op === 'add') {
        model.sharedModel.insertCell(at, fresh.cells[step.to] as never);
        live.splice(at, 0, null);
        at += 1;
      } else {
        const cell = open[step.from];
        const want = fresh.cells[step.to];
        at += 1;
        setAllMetadata(cell, (cell.toJSON().metadata ?? {}) as Meta, want.metadata ?? {});
        const source = cell.sharedModel.getSource();
        if (atSave.get(cell.id) !== source) {
          typed += 1;
          // typed during the save: the text stays; a header line is no longer needed once the
          // cell carries its message's metadata
          if (cell.getMetadata(KEY) && HEADER.test(source)) {
            cell.sharedModel.setSource(source.replace(HEADER, ''));
          }
        } else if (source !== text(want.source)) {
          cell.sharedModel.setSource(text(want.source));
        }
      }
    }
    setAllMetadata(model, model.metadata as Meta, fresh.metadata);
  }, false); // not a step to undo: the workspace gave it
  return typed;
}

function indexOf(model: INotebookModel, key: string): number {
  for (let i = 0; i < model.cells.length; i++) {
    if (messageKey(model.cells.get(i)) === key) {
      return i;
    }
  }
  return -1;
}

function remember(notebook: Notebook): IPlace {
  const model = notebook.model!;
  const index = notebook.activeCellIndex;
  let key: string | null = null;
  let offset = 0;
  for (let j = Math.max(index, 0); j < model.cells.length; j++) {
    key = messageKey(model.cells.get(j));
    if (key) {
      offset = j - index;
      break;
    }
  }
  const outer = notebook.outerNode;
  const active = notebook.activeCell;
  const cursor = notebook.mode === 'edit' && active?.editor ? active.editor.getCursorPosition() : null;
  return {
    widget: active, key, offset, index, mode: notebook.mode, cursor, scrollTop: outer.scrollTop,
    top: active ? active.node.getBoundingClientRect().top - outer.getBoundingClientRect().top : null,
    focused: notebook.node.contains(document.activeElement)
  };
}

/**
 * Keep the active cell where it was on screen while the notebook lays out (notes are rendered
 * asynchronously, and may have grown or shrunk), for `ms` at most, and not a moment longer once
 * the notebook is scrolled by anything else (the writer, a "go to" command, the browser).
 */
function keepOnScreen(notebook: Notebook, node: HTMLElement, top: number, ms: number): void {
  const outer = notebook.outerNode;
  const until = performance.now() + ms;
  let left = outer.scrollTop;
  const step = (): void => {
    if (notebook.isDisposed || !node.isConnected || performance.now() > until || Math.abs(outer.scrollTop - left) >= 1) {
      return;
    }
    const delta = node.getBoundingClientRect().top - outer.getBoundingClientRect().top - top;
    if (Math.abs(delta) >= 1) {
      outer.scrollTop += delta;
    }
    left = outer.scrollTop;
    requestAnimationFrame(step);
  };
  requestAnimationFrame(step);
}

function restore(notebook: Notebook, place: IPlace): void {
  const model = notebook.model!;
  if (place.widget && notebook.activeCell === place.widget && !place.widget.isDisposed) {
    // the same cell, the same editor: only the notes above it may have changed height
    if (place.top !== null) {
      keepOnScreen(notebook, place.widget.node, place.top, 1500);
    }
    return;
  }
  // the active cell was replaced (or moved): find the cell of the same message
  const found = place.key ? indexOf(model, place.key) : -1;
  const index = found >= 0 ? found - place.offset : place.index;
  notebook.activeCellIndex = Math.max(0, Math.min(index, model.cells.length - 1));
  notebook.outerNode.scrollTop = place.scrollTop;
  const active = notebook.activeCell;
  if (!active) {
    return;
  }
  if (place.top !== null) {
    keepOnScreen(notebook, active.node, place.top, 1500);
  }
  void active.ready.then(() => {
    if (notebook.isDisposed || notebook.activeCell !== active) {
      return;
    }
    if (place.mode === 'edit' && active.model.getMetadata('editable') !== false) {
      notebook.mode = 'edit';
      if (place.cursor && active.editor) {
        try {
          active.editor.setCursorPosition(place.cursor);
        } catch {
          // the merge changed the text under the cursor: the cursor stays at the start
        }
      }
    }
    if (place.focused) {
      if (notebook.mode === 'edit' && active.editor) {
        active.editor.focus();
      } else {
        notebook.node.focus();
      }
    }
  });
}

/** Refreshes one notebook panel after each of its saves. */
class Refresher {
  constructor(
    private readonly panel: NotebookPanel,
    private readonly contents: Contents.IManager
  ) {
    panel.context.saveState.connect(this.onSaveState, this);
  }

  private onSaveState(_: DocumentRegistry.IContext<INotebookModel>, state: DocumentRegistry.SaveState): void {
    if (state === 'started') {
      this.saves += 1;
      this.atSave = this.panel.context.model ? snapshot(this.panel.context.model) : null;
    } else if (state === 'completed') {
      void this.refresh(this.saves, this.atSave);
    }
  }

  private async refresh(save: number, atSave: Map<string, string> | null): Promise<void> {
    const { context, content: notebook } = this.panel;
    const model = context.model;
    if (!atSave || !model || !model.getMetadata(KEY)) {
      return;
    }
    let fresh: Contents.IModel;
    try {
      fresh = await this.contents.get(context.path, { type: 'notebook', content: true });
    } catch (reason) {
      console.warn('kizuna lab: could not refresh the notebook after saving', reason);
      return;
    }
    // a later save refreshes instead; a closed notebook needs nothing
    if (save !== this.saves || this.panel.isDisposed || !fresh.content?.metadata?.[KEY]) {
      return;
    }
    // from here on nothing waits: no keystroke comes between reading the notebook and patching it
    const place = remember(notebook);
    const typed = patch(model, fresh.content, atSave);
    model.dirty = typed > 0;
    restore(notebook, place);
  }

  private saves = 0;
  private atSave: Map<string, string> | null = null;
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'kizuna-lab:refresh-on-save',
  description: 'Refreshes a kizuna message notebook (findings, sign-off state, a town\'s text) after each save.',
  autoStart: true,
  requires: [INotebookTracker],
  activate: (app: JupyterFrontEnd, tracker: INotebookTracker): void => {
    tracker.widgetAdded.connect((_, panel) => {
      new Refresher(panel, app.serviceManager.contents);
    });
  }
};

export default plugin;

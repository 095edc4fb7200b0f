/**
 * kizuna lab: a message notebook refreshes itself after each save.
 *
 * kizuna's contents manager merges a saved notebook into the workspace files and rebuilds the
 * notebook from them: the note cell above each message shows its findings, its sign-off state
 * (an edit withdraws approvals) and its text as a sample town reads it, and a new message cell
 * gets its metadata. JupyterLab does not load what a save produced, so without this plugin
 * the writer had to choose "Reload from Disk". After every completed save of a notebook whose
 * metadata carries the "kizuna" key, the plugin fetches the notebook again and loads it in place:
 *
 * - what the writer typed while the save was under way is not lost: those cells are put back
 *   on top of the fresh notebook (matched by message id) and the notebook stays unsaved;
 * - the active cell (matched by message id), the edit mode, the cursor and the scroll position
 *   are kept, so the writer goes on where they were;
 * - if another save starts before the fresh notebook arrives, only the last one refreshes.
 */
import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { DocumentRegistry } from '@jupyterlab/docregistry';
import { INotebookModel, INotebookTracker, Notebook, NotebookPanel } from '@jupyterlab/notebook';
import type { ICellModel } from '@jupyterlab/cells';
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

/** A cell typed in while a save was under way. */
interface ITyped {
  key: string | null;
  /** the message cell above it (where a new cell goes back) */
  anchor: string | null;
  index: number;
  isNew: boolean;
  cellType: string;
  source: string;
  metadata: Meta;
}

/** Where the writer is: restored after the refresh. */
interface IPlace {
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

function typedSince(atSave: Map<string, string>, model: INotebookModel): ITyped[] {
  const out: ITyped[] = [];
  let anchor: string | null = null;
  for (let i = 0; i < model.cells.length; i++) {
    const cell = model.cells.get(i);
    const key = messageKey(cell);
    const source = cell.sharedModel.getSource();
    const before = atSave.get(cell.id);
    if (before !== source) {
      const json = cell.toJSON();
      out.push({ key, anchor, index: i, isNew: before === undefined, cellType: cell.type, source,
                 metadata: (json.metadata ?? {}) as Meta });
    }
    if (key) {
      anchor = key;
    }
  }
  return out;
}

function indexOf(model: INotebookModel, key: string): number {
  for (let i = 0; i < model.cells.length; i++) {
    if (messageKey(model.cells.get(i)) === key) {
      return i;
    }
  }
  return -1;
}

/** Put the cells typed during the save back on top of the fresh notebook. */
function reapply(model: INotebookModel, typed: ITyped[]): void {
  for (const t of typed) {
    const at = t.key && !t.isNew ? indexOf(model, t.key) : -1;
    if (at >= 0) {
      const cell = model.cells.get(at);
      // the merge gave the cell its metadata: its header line is not part of the text any more
      const text = cell.getMetadata(KEY) ? t.source.replace(HEADER, '') : t.source;
      cell.sharedModel.setSource(text);
      continue;
    }
    const after = t.anchor ? indexOf(model, t.anchor) : -1;
    const index = after >= 0 ? after + 1 : Math.min(t.index, model.cells.length);
    model.sharedModel.insertCell(index, {
      cell_type: t.cellType as 'markdown' | 'code' | 'raw',
      source: t.source as MultilineString,
      metadata: t.metadata
    } as never);
  }
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
    key, offset, index, mode: notebook.mode, cursor, scrollTop: outer.scrollTop,
    top: active ? active.node.getBoundingClientRect().top - outer.getBoundingClientRect().top : null,
    focused: notebook.node.contains(document.activeElement)
  };
}

function restore(notebook: Notebook, place: IPlace): void {
  const model = notebook.model!;
  const found = place.key ? indexOf(model, place.key) : -1;
  const index = found >= 0 ? found - place.offset : place.index;
  notebook.activeCellIndex = Math.max(0, Math.min(index, model.cells.length - 1));
  const outer = notebook.outerNode;
  outer.scrollTop = place.scrollTop;
  requestAnimationFrame(() => {
    const active = notebook.activeCell;
    if (!active || notebook.isDisposed) {
      return;
    }
    if (place.top !== null) {
      // the notes above may have grown or shrunk: keep the active cell where it was on screen
      outer.scrollTop += active.node.getBoundingClientRect().top - outer.getBoundingClientRect().top - place.top;
    }
    if (place.mode === 'edit' && model.cells.get(notebook.activeCellIndex).getMetadata('editable') !== false) {
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
      notebook.activate();
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
    // from here on nothing waits: no keystroke comes between reading the notebook and replacing it
    const typed = typedSince(atSave, model);
    const place = remember(notebook);
    model.fromJSON(fresh.content);
    reapply(model, typed);
    model.dirty = typed.length > 0;
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

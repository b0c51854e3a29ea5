// equiview's HTML lesson (equiview.viewer.model.lesson): the window's grid from precomputed poses.
// Every number shown here was computed by equiview's frame pipeline; this script only picks a pose and draws it.
"use strict";
(function () {
  const state = { errors: [], ready: false };
  window.equiview = state;
  window.addEventListener("error", (e) => state.errors.push(String(e.message)));

  function bytes(b64) {
    const text = atob(b64);
    const out = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
    return out;
  }
  const f4 = (b64) => new Float32Array(bytes(b64).buffer);
  const f8 = (b64) => new Float64Array(bytes(b64).buffer);
  // the window's arrow colours (viewer/arrows.py): the model's vectors; the ghost R·v(x), where an equivariant
  // model's arrow must be, is a wider translucent sheath of another colour, so a coinciding arrow shows inside it
  const ARROW = { dipole: "#c81e2d", atom: "#eb8714", ghost: "#1d8fe1" };
  const SHAFT = { dipole: 0.17, atom: 0.07 }; // Å; the ghost is twice as wide

  async function payload() {
    const raw = bytes(document.getElementById("equiview-data").textContent.trim());
    const stream = new Blob([raw]).stream().pipeThrough(new DecompressionStream("gzip"));
    return JSON.parse(await new Response(stream).text());
  }

  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const hex = (rgb) => "#" + Array.from(rgb, (c) => c.toString(16).padStart(2, "0")).join("");
  // three significant digits, zeros kept (0.260), as the window's colour bars; 1e4 and more or under 1e-2: 1.2e+4
  const tick = (v) => {
    if (v === 0) return "0";
    if (Math.abs(v) >= 1e4 || Math.abs(v) < 1e-2) return v.toExponential(1);
    return v.toPrecision(3);
  };

  function colourBar(lut, lo, hi, title) {
    const bar = el("div", "bar");
    bar.title = title;
    const strip = el("div", "strip");
    strip.style.background = `linear-gradient(to top, ${lut.join(", ")})`;
    const labels = el("div", "ticks");
    for (const v of [hi, (lo + hi) / 2, lo]) labels.appendChild(el("span", "", tick(v)));
    bar.append(el("div", "bar-title", title), strip, labels);
    return bar;
  }

  function build(data) {
    const n = data.molecule.elements.length;
    const grid = data.grid;
    const count = grid.count;
    const rows = data.rows.map((r) => ({
      ...r,
      values: f4(r.values),
      delta: f4(r.delta),
      rgb: bytes(r.rgb),
      diffRgb: bytes(r.diff_rgb),
      errorAt: f8(r.error),
      predAt: f8(r.pred),
      vectors: r.vectors && {
        ...r.vectors,
        dipoleAt: r.vectors.dipole && f4(r.vectors.dipole),
        expectedAt: r.vectors.dipole_expected && f4(r.vectors.dipole_expected),
        atomsAt: r.vectors.atoms && f4(r.vectors.atoms),
        atomsExpectedAt: r.vectors.atoms_expected && f4(r.vectors.atoms_expected),
        errorAt: f8(r.vectors.error),
      },
    }));
    const matrices = f8(data.matrices);
    const diffTop = f8(data.diff_top);
    const mol = data.molecule;
    const pose = { ix: data.start.ix, iy: data.start.iy, iz: data.start.iz, mirror: data.start.mirror };
    const options = { difference: false, aligned: true, lastAxis: 2, highlight: null };

    const root = document.getElementById("equiview");
    root.textContent = "";
    const header = el("header");
    header.appendChild(el("h1", "", `${mol.name} (${mol.formula}): does g change what the model computes?`));
    const controls = el("div", "controls");
    const sliders = [];
    ["x", "y", "z"].forEach((axis, a) => {
      const label = el("label", "slider");
      const input = document.createElement("input");
      Object.assign(input, { type: "range", min: -180, max: 180, step: grid.step, id: `rotate-${axis}` });
      input.value = grid.angles[[pose.ix, pose.iy, pose.iz][a]];
      const value = el("output", "", "");
      input.addEventListener("input", () => {
        const index = Math.round((Number(input.value) + 180) / grid.step);
        if (a === 0) pose.ix = index;
        if (a === 1) pose.iy = index;
        if (a === 2) pose.iz = index;
        options.lastAxis = a;
        update();
      });
      label.append(el("span", "", `rotate about ${axis}`), input, value);
      sliders.push({ input, value });
      controls.appendChild(label);
    });
    const toggle = (id, text, checked, onChange, help) => {
      const label = el("label", "toggle");
      const box = document.createElement("input");
      Object.assign(box, { type: "checkbox", id, checked });
      box.addEventListener("change", () => onChange(box.checked));
      label.append(box, el("span", "", text));
      if (help) label.title = help;
      controls.appendChild(label);
      return box;
    };
    toggle("mirror", "mirror x → −x", pose.mirror, (on) => { pose.mirror = on; update(); });
    toggle("difference", "Δh mode: colour g·x by |h(g·x) − h(x)|", false, (on) => { options.difference = on; update(); },
      "Colour the g·x column by how much each atom's embedding changed, on one scale from 0 shared by the rows.");
    toggle("aligned", "aligned view", true, (on) => { options.aligned = on; update(); },
      "Draw g·x from a camera that moved with the input, so both columns look the same and only colours can differ.");
    header.appendChild(controls);
    const poseLine = el("div", "pose");
    header.appendChild(poseLine);
    root.appendChild(header);

    const body = el("div", "body");
    const table = el("div", "grid");
    // views keep a readable height: with many rows the grid scrolls rather than squashing them
    table.style.gridTemplateRows = `auto repeat(${1 + rows.length}, minmax(${rows.length > 2 ? "7em" : "0"}, 1fr))`;
    const alignedNote = el("div", "column-head transformed-head");
    table.append(el("div", "column-head", "x: the input as given"), alignedNote);
    const views = [];
    const makeView = (rowIndex, column, title) => {
      const cell = el("div", `view ${column}`);
      const heading = el("div", "view-title", title);
      const canvas = el("div", "canvas3d");
      canvas.id = `view-${rowIndex < 0 ? "input" : rows[rowIndex].name}-${column}`;
      cell.append(canvas);
      // a row with vectors draws its arrows in a second, transparent viewer stacked on the first and sharing its
      // camera: no atom can hide an arrow or its ghost
      let arrowViewer = null;
      if (rowIndex >= 0 && rows[rowIndex].vectors) {
        const layer = el("div", "arrows3d");
        layer.id = `${canvas.id}-arrows`;
        cell.append(layer);
        arrowViewer = $3Dmol.createViewer(layer, { backgroundColor: "black", backgroundAlpha: 0, antialias: true });
      }
      cell.append(heading);
      table.appendChild(cell);
      const viewer = $3Dmol.createViewer(canvas, { backgroundColor: "white", antialias: true });
      const view = { rowIndex, column, cell, heading, canvas, viewer, arrowViewer, colours: [] };
      views.push(view);
      return view;
    };
    makeView(-1, "original", "Input x, coloured by element");
    makeView(-1, "transformed", "");
    rows.forEach((row, r) => {
      makeView(r, "original", row.titles.original);
      makeView(r, "transformed", row.titles.embedding);
    });
    body.appendChild(table);

    const side = el("aside");
    const legend = el("div", "legend");
    legend.appendChild(el("div", "legend-title", "Input row: atoms coloured by element"));
    const seen = new Map();
    mol.elements.forEach((e, i) => { if (!seen.has(e)) seen.set(e, hex(mol.element_rgb[i])); });
    for (const [e, c] of seen) {
      const item = el("span", "swatch-item");
      const sw = el("span", "swatch");
      sw.style.background = c;
      item.append(sw, el("span", "", e));
      legend.appendChild(item);
    }
    side.appendChild(legend);
    if (rows.some((r) => r.vectors)) {
      const key = el("div", "legend arrow-legend");
      key.appendChild(el("div", "legend-title", "Arrows"));
      for (const [colour, text, cls] of [
        [ARROW.dipole, "the model's vector v (a dipole from the centroid; per-atom vectors in orange)", "arrow-key"],
        [ARROW.ghost, "ghost R·v(x): where an equivariant model's arrow must point; it hides nothing", "ghost-key"],
      ]) {
        const item = el("div", "key-item");
        const sw = el("span", `swatch-line ${cls}`);
        sw.style.background = colour;
        item.append(sw, el("span", "", text));
        key.appendChild(item);
      }
      side.appendChild(key);
    }
    const readouts = el("table", "readouts");
    side.appendChild(readouts);
    const hover = el("div", "hover", "Hover an atom: it is marked in every view.");
    side.appendChild(hover);
    const sweepBox = el("div", "sweep");
    const sweepTitle = el("div", "sweep-title");
    const sweep = document.createElement("canvas");
    sweep.id = "sweep";
    sweepBox.append(sweepTitle, sweep);
    side.appendChild(sweepBox);
    const help = el("p", "help", data.projection_help);
    side.appendChild(help);
    body.appendChild(side);
    root.appendChild(body);

    // one camera for every view: a drag in one turns them all
    const arrowViewers = views.filter((v) => v.arrowViewer).map((v) => v.arrowViewer);
    views.forEach((v) => views.forEach((w) => { if (v !== w) v.viewer.linkViewer(w.viewer); }));
    views.forEach((v) => arrowViewers.forEach((a) => v.viewer.linkViewer(a))); // layers follow every drag
    views.forEach((v) => v.viewer.setHoverDuration(30));

    const poseIndex = () => (((pose.mirror ? 1 : 0) * count + pose.iz) * count + pose.iy) * count + pose.ix;

    function positions(view, p) {
      if (view.column === "original" || options.aligned) return mol.positions;
      const m = matrices.subarray(12 * p, 12 * p + 12);
      return mol.positions.map(([x, y, z]) => [
        m[0] * x + m[1] * y + m[2] * z + m[9],
        m[3] * x + m[4] * y + m[5] * z + m[10],
        m[6] * x + m[7] * y + m[8] * z + m[11],
      ]);
    }

    function colours(view, p) {
      if (view.rowIndex < 0) return mol.element_rgb.map(hex);
      const row = rows[view.rowIndex];
      if (view.column === "original") return row.rgb_original.map(hex);
      const source = options.difference ? row.diffRgb : row.rgb;
      return Array.from({ length: n }, (_, i) => hex(source.subarray(3 * (p * n + i), 3 * (p * n + i) + 3)));
    }

    function draw(view, p) {
      const viewer = view.viewer;
      const pos = positions(view, p);
      view.colours = colours(view, p);
      viewer.removeAllModels();
      viewer.removeAllShapes();
      viewer.removeAllLabels();
      const bondsOf = Array.from({ length: n }, () => []);
      for (const [i, j] of mol.bonds) { bondsOf[i].push(j); bondsOf[j].push(i); }
      const model = viewer.addModel();
      model.addAtoms(mol.elements.map((elem, i) => ({
        elem, x: pos[i][0], y: pos[i][1], z: pos[i][2], index: i, serial: i, bonds: bondsOf[i], bondOrder: bondsOf[i].map(() => 1),
      })));
      mol.elements.forEach((_, i) => {
        model.setStyle({ index: i }, { sphere: { radius: mol.radii[i], color: view.colours[i] }, stick: { radius: 0.1, color: "#9a9a9a" } });
      });
      viewer.setHoverable({}, true, (atom) => mark(atom.index), () => mark(null));
      if (options.highlight !== null) {
        const i = options.highlight;
        viewer.addSphere({ center: { x: pos[i][0], y: pos[i][1], z: pos[i][2] }, radius: mol.radii[i] * 1.6, color: "#ff2d95", opacity: 0.45 });
        viewer.addLabel(`${mol.elements[i]}${i}`, {
          position: { x: pos[i][0], y: pos[i][1], z: pos[i][2] }, fontSize: 13, fontColor: "black",
          backgroundColor: "white", backgroundOpacity: 0.85, inFront: true,
        });
      }
      viewer.render();
    }

    // the arrows of one view: v(x) in x; v(g·x) and its ghost R·v(x) in g·x (both as the pipeline computed them),
    // from the centroid (the dipole) or the atoms (per-atom vectors). Aligned, the g·x column is drawn under a
    // camera moved by g, so its feet are x's and its vectors are turned back by Rᵀ (viewer/model/aligned.py).
    function drawArrows(view, p) {
      const layer = view.arrowViewer;
      if (!layer) return;
      layer.removeAllShapes();
      const vec = rows[view.rowIndex].vectors;
      const s = vec.angstrom;
      const original = view.column === "original";
      const m = matrices.subarray(12 * p, 12 * p + 12);
      const back = (v) => (original || !options.aligned ? v
        : [m[0] * v[0] + m[3] * v[1] + m[6] * v[2], m[1] * v[0] + m[4] * v[1] + m[7] * v[2], m[2] * v[0] + m[5] * v[1] + m[8] * v[2]]);
      const feet = positions(view, p);
      const centre = original || options.aligned ? mol.centre : [
        m[0] * mol.centre[0] + m[1] * mol.centre[1] + m[2] * mol.centre[2] + m[9],
        m[3] * mol.centre[0] + m[4] * mol.centre[1] + m[5] * mol.centre[2] + m[10],
        m[6] * mol.centre[0] + m[7] * mol.centre[1] + m[8] * mol.centre[2] + m[11],
      ];
      const arrow = (foot, v, radius, color, ghost) => {
        const d = back(v);
        if (Math.hypot(d[0], d[1], d[2]) * s < 1e-6) return; // a zero vector: nothing to draw
        layer.addArrow({
          start: { x: foot[0], y: foot[1], z: foot[2] },
          end: { x: foot[0] + s * d[0], y: foot[1] + s * d[1], z: foot[2] + s * d[2] },
          radius, radiusRatio: 2.2, mid: 0.78, color, wireframe: !!ghost, linewidth: 1,
        });
      };
      const at = (array, k) => Array.from(array.subarray(3 * k, 3 * k + 3));
      if (vec.dipole_original) {
        if (original) arrow(centre, vec.dipole_original, SHAFT.dipole, ARROW.dipole);
        else {
          arrow(centre, at(vec.dipoleAt, p), SHAFT.dipole, ARROW.dipole);
          arrow(centre, at(vec.expectedAt, p), 2 * SHAFT.dipole, ARROW.ghost, true);
        }
      }
      if (vec.atoms_original) {
        for (let i = 0; i < n; i++) {
          if (original) { arrow(feet[i], vec.atoms_original[i], SHAFT.atom, ARROW.atom); continue; }
          arrow(feet[i], at(vec.atomsAt, p * n + i), SHAFT.atom, ARROW.atom);
          arrow(feet[i], at(vec.atomsExpectedAt, p * n + i), 2 * SHAFT.atom, ARROW.ghost, true);
        }
      }
      layer.render();
    }

    function mark(i) {
      if (options.highlight === i) return;
      options.highlight = i;
      const p = poseIndex();
      views.forEach((v) => draw(v, p));
      if (i === null) { hover.textContent = "Hover an atom: it is marked in every view."; return; }
      const lines = [`atom ${i} (${mol.elements[i]})`];
      rows.forEach((row) => {
        if (!row.available) return;
        const now = row.values[p * n + i], d = row.delta[p * n + i];
        lines.push(`${row.title}: h(x) ${tick(row.values_original[i])}, h(g·x) ${tick(now)}, |Δh| ${tick(d)}`);
      });
      hover.textContent = lines.join("\n");
    }

    function bars(view, p) {
      view.cell.querySelectorAll(".bar, .badge, .range-note").forEach((e) => e.remove());
      if (view.rowIndex < 0) return;
      const row = rows[view.rowIndex];
      if (!row.available) return;
      const diff = options.difference && view.column === "transformed";
      view.cell.appendChild(diff ? colourBar(data.diff_lut, 0, diffTop[p], row.difference_title)
        : colourBar(row.lut, row.vmin, row.vmax, row.bar_title));
      view.cell.querySelector(".bar").title = data.projection_help;
      if (view.column === "transformed") {
        const badge = el("div", `badge ${row.kind[p]}`, row.badge[p]);
        badge.style.background = data.verdict_colours[row.kind[p]];
        view.cell.appendChild(badge);
      }
    }

    function drawSweep(p) {
      const axis = options.lastAxis;
      const names = ["x", "y", "z"];
      sweepTitle.textContent = `max|Δh| as g turns about ${names[axis]} (other sliders fixed)`;
      const rect = sweep.getBoundingClientRect();
      const ratio = window.devicePixelRatio || 1;
      sweep.width = Math.max(100, rect.width * ratio);
      sweep.height = Math.max(80, rect.height * ratio);
      const ctx = sweep.getContext("2d");
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      const w = sweep.width / ratio, h = sweep.height / ratio;
      const em = parseFloat(getComputedStyle(root).fontSize) || 12; // the plot's text grows with the page's
      const left = 3.6 * em, bottom = 1.9 * em, top = 8, right = 1.6 * em;
      ctx.clearRect(0, 0, w, h);
      const lo = -8, hi = 2;
      const X = (k) => left + ((w - left - right) * k) / (count - 1);
      const Y = (e) => top + ((h - top - bottom) * (hi - Math.min(hi, Math.max(lo, Math.log10(Math.max(e, 1e-12)))))) / (hi - lo);
      ctx.strokeStyle = "#ccc";
      ctx.fillStyle = "#444";
      ctx.font = `${0.85 * em}px sans-serif`;
      for (let e = lo; e <= hi; e += 2) {
        ctx.beginPath(); ctx.moveTo(left, Y(10 ** e)); ctx.lineTo(w - right, Y(10 ** e)); ctx.stroke();
        ctx.fillText(`1e${e}`, 4, Y(10 ** e) + 0.35 * em);
      }
      ctx.textAlign = "center";
      for (const deg of [-180, -90, 0, 90, 180]) ctx.fillText(`${deg}°`, X((deg + 180) / grid.step), h - 6);
      ctx.textAlign = "left";
      const at = [pose.ix, pose.iy, pose.iz];
      const colours = ["#c2410c", "#2563eb", "#7c3aed", "#0d9488"];
      rows.forEach((row, r) => {
        if (!row.available) return;
        ctx.strokeStyle = colours[r % colours.length];
        ctx.lineWidth = 2;
        ctx.beginPath();
        for (let k = 0; k < count; k++) {
          const idx = at.slice();
          idx[axis] = k;
          const q = (((pose.mirror ? 1 : 0) * count + idx[2]) * count + idx[1]) * count + idx[0];
          const y = Y(row.errorAt[q]);
          if (k === 0) ctx.moveTo(X(k), y); else ctx.lineTo(X(k), y);
        }
        ctx.stroke();
        ctx.fillStyle = ctx.strokeStyle;
        ctx.fillText(row.title, left + 6, top + 1.1 * em * (r + 1));
      });
      ctx.strokeStyle = "#111";
      ctx.lineWidth = 1.5;
      ctx.setLineDash([4, 3]);
      ctx.beginPath(); ctx.moveTo(X(at[axis]), top); ctx.lineTo(X(at[axis]), h - bottom); ctx.stroke();
      ctx.setLineDash([]);
    }

    function update() {
      const p = poseIndex();
      const angles = [pose.ix, pose.iy, pose.iz].map((k) => grid.angles[k]);
      sliders.forEach((s, a) => { s.value.textContent = `${angles[a]}°`; });
      poseLine.textContent = `g = ${data.input_titles[p].replace(/^Input g·x\s*/, "")}`;
      alignedNote.textContent = options.aligned
        ? "g·x, aligned: g moved the input and the camera moved with it, so only colours can differ"
        : "g·x: the moved input, same camera as x";
      alignedNote.classList.toggle("is-aligned", options.aligned);
      views.forEach((v) => {
        if (v.rowIndex < 0 && v.column === "transformed") v.heading.textContent = data.input_titles[p];
        if (v.rowIndex >= 0 && v.column === "transformed") {
          const row = rows[v.rowIndex];
          v.heading.textContent = (options.difference ? row.titles.difference : row.titles.embedding)
            + (row.vectors ? row.vectors.notes[p] : "");
        }
        draw(v, p);
        drawArrows(v, p);
        bars(v, p);
      });
      readouts.textContent = "";
      const head = readouts.insertRow();
      for (const t of ["model", "verdict", "prediction x → g·x"]) head.appendChild(el("th", "", t));
      rows.forEach((row) => {
        const tr = readouts.insertRow();
        tr.appendChild(el("td", "", `${row.title} (${row.label})`));
        if (!row.available) { tr.appendChild(el("td", "", `not available: ${row.message}`)); return; }
        const badge = el("td", `verdict ${row.kind[p]}`, row.badge[p]);
        badge.style.color = data.verdict_colours[row.kind[p]];
        tr.appendChild(badge);
        const pred = (v) => (v === null || Number.isNaN(v) ? "–" : v.toFixed(2));
        tr.appendChild(el("td", "", `${pred(row.prediction_original)} → ${pred(row.predAt[p])}`));
        if (row.vectors) { // the window's note on the arrows, e.g. "max |v(g·x) − R·v(x)| = 1.03 D"
          const note = readouts.insertRow();
          note.className = "vector-note";
          const cell = el("td", "", `arrows: ${row.vectors.notes[p].trim()}`);
          cell.colSpan = 3;
          note.appendChild(cell);
        }
      });
      drawSweep(p);
      state.pose = { ...pose, index: p, angles };
    }

    state.views = views;
    state.rows = rows;
    state.options = options;
    state.update = update;
    // for tests and the curious: the atom colours each view draws now, and the badges' text
    state.colours = () => Object.fromEntries(views.map((v) => [v.canvas.id, v.colours.slice()]));
    state.badges = () => Object.fromEntries(rows.map((r) => [r.name, r.badge[poseIndex()]]));

    const first = views[0].viewer;
    views.forEach((v) => { v.viewer.resize(); if (v.arrowViewer) v.arrowViewer.resize(); }); // the canvases take their cells' final size before the first draw
    update();
    first.zoomTo();
    // zoomTo leaves a wide margin; every rotation about the centroid still fits. Arrows reach out of the molecule
    // (lesson.ARROW_REACH, 1.35 radii, plus the tip): the views then keep the room for them
    first.zoom(rows.some((r) => r.vectors) ? 1.1 : 1.4);
    const camera = first.getView();
    views.forEach((v) => { v.viewer.setView(camera); v.viewer.render(); });
    arrowViewers.forEach((a) => { a.setSlab(...Object.values(first.getSlab())); a.setView(camera); a.render(); });
    // a cell that changes size (window, notebook output, presentation) redraws its view at the new size
    const observer = new ResizeObserver(() => {
      views.forEach((v) => { v.viewer.resize(); if (v.arrowViewer) v.arrowViewer.resize(); });
      drawSweep(poseIndex());
    });
    views.forEach((v) => observer.observe(v.canvas));
    state.ready = true;
  }

  payload().then(build).catch((error) => {
    state.errors.push(String(error));
    const root = document.getElementById("equiview");
    root.textContent = `equiview: the lesson could not be shown (${error}).`;
  });
})();

"""Settings: local or remote model, generation and retrieval knobs, the remote server and its key.

Saved to the same TOML file the CLI reads (`assistant config show`); the API key goes to the OS keyring
where there is one.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from assistant import keys
from assistant.settings import DEFAULT_EMBEDDING_MODEL, DEFAULT_LLM_MODEL


class SettingsDialog(QDialog):
    download_progress = Signal(float, float)  # bytes done, total (floats: GGUF files pass 2**31 bytes)

    def __init__(self, controller, collection: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.setWindowTitle(self.tr("Settings"))
        self.setMinimumWidth(680)
        s = controller.settings
        self._test_job = self._pull_job = None

        self.backend = QComboBox()
        self.backend.addItem(self.tr("Local model on this computer (llama.cpp)"), "local")
        self.backend.addItem(self.tr("Remote server (OpenAI-compatible)"), "remote")
        self.backend.setCurrentIndex(0 if s.backend == "local" else 1)
        self.backend.currentIndexChanged.connect(self._backend_changed)

        # local
        self.llm_model = QComboBox()
        self.llm_model.setEditable(True)
        names = controller.llm_models()
        self.llm_model.addItems(names if s.llm_model in names else [s.llm_model, *names])
        self.llm_model.setCurrentText(s.llm_model)
        self.llm_model.setToolTip(self.tr("A registered model name or the path of a GGUF file"))
        pick = QPushButton(self.tr("Choose GGUF file…"))
        pick.clicked.connect(self.choose_gguf)
        self.pull_button = QPushButton(self.tr("Download {0}").format(DEFAULT_LLM_MODEL))
        self.pull_button.clicked.connect(self.pull_default)
        self.pull_progress = QProgressBar()
        self.pull_progress.hide()
        self.pull_cancel = QPushButton(self.tr("Cancel download"))
        self.pull_cancel.hide()
        self.pull_cancel.clicked.connect(lambda: self._pull_job and self._pull_job.stop())
        self.download_progress.connect(self._on_download_progress)
        self.gpu_layers = QSpinBox()
        self.gpu_layers.setRange(-2, 1000)
        self.gpu_layers.setSpecialValueText(self.tr("automatic"))
        self.gpu_layers.setValue(s.n_gpu_layers)
        self.gpu_layers.setToolTip(self.tr("Layers on the GPU: automatic (all when a GPU build is installed), "
                                           "-1 all, 0 none"))
        cpu = controller.cpu_status()
        library = cpu["llama_cpu_variant"]
        installed = library.get("installed", [])
        built_in = "installed" in library and not installed
        self.cpu_variant = QComboBox()
        current = s.llama_cpu_variant
        chosen = library.get("variant") if current == "auto" else None  # what auto picks here
        auto = self.tr("Automatic ({0})").format(chosen) if chosen else self.tr("Automatic")
        self.cpu_variant.addItem(auto, "auto")
        runs = set(library.get("runs_here", installed))
        for name in installed if current in ("auto", *installed) else [current, *installed]:
            self.cpu_variant.addItem(name, name)
            if name not in runs:  # compiled for instructions this CPU lacks: shown, not choosable
                item = self.cpu_variant.model().item(self.cpu_variant.count() - 1)
                item.setEnabled(name == current)
                item.setToolTip(self.tr("needs instructions this CPU does not have"))
        self.cpu_variant.setCurrentIndex(max(0, self.cpu_variant.findData(current)))
        self.cpu_variant.setEnabled(self.cpu_variant.count() > 1)  # one left set by name can go back to auto
        if built_in:
            self.cpu_variant.setToolTip(self.tr("llama.cpp here has its CPU code built in: there is no CPU "
                                                "library to choose."))
        else:
            self.cpu_variant.setToolTip(self.tr("Which of llama.cpp's CPU libraries the local model runs, "
                                                "plainest first. Automatic picks the best for this CPU; "
                                                "after a crash inside llama.cpp, choose a plainer one."))
        self.cpu_info = QLabel(self.tr("{0}, {1}, {2}", "CPU name, x86-64 level, widest vector instructions")
                               .format(cpu["name"], cpu["level"], cpu["simd"]))
        self.cpu_info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.cpu_info.setToolTip(self.tr("Extensions: {0} (read by {1}; this program needs {2} or newer)")
                                 .format(" ".join(cpu["flags"]), cpu["read_by"], cpu["minimum"]))
        self.n_ctx = QSpinBox()
        self.n_ctx.setRange(512, 131072)
        self.n_ctx.setSingleStep(1024)
        self.n_ctx.setValue(s.n_ctx)
        self.n_ctx.setSuffix(self.tr(" tokens"))
        local = QGroupBox(self.tr("Local model"))
        lf = QFormLayout(local)
        row = QHBoxLayout()
        row.addWidget(self.llm_model, 1)
        row.addWidget(pick)
        lf.addRow(self.tr("Model:"), row)
        prow = QHBoxLayout()
        prow.addWidget(self.pull_button)
        prow.addWidget(self.pull_progress, 1)
        prow.addWidget(self.pull_cancel)
        lf.addRow("", prow)
        bundled = QPushButton(self.tr("Use bundled small models (offline demo)"))
        bundled.setToolTip(self.tr("Use the small models that the desktop bundle or installed Python packages "
                                   "carry (SmolLM2-135M, multilingual-e5-small): quick to try, weak answers"))
        bundled.clicked.connect(self.use_bundled)
        lf.addRow("", bundled)
        lf.addRow(self.tr("GPU layers:"), self.gpu_layers)
        lf.addRow(self.tr("CPU library (llama.cpp):"), self.cpu_variant)
        lf.addRow(self.tr("CPU:"), self.cpu_info)
        lf.addRow(self.tr("Context size:"), self.n_ctx)
        self.local_group = local

        # remote
        self.remote_url = QLineEdit(s.remote_url)
        self.remote_url.setPlaceholderText("http://gpu-server:8000/v1")
        self.remote_model = QLineEdit(s.remote_model)
        self.remote_key = QLineEdit(s.remote_api_key)
        self.remote_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.remote_key.setPlaceholderText(self.tr("(none)"))
        self.test_button = QPushButton(self.tr("&Test connection"))
        self.test_button.clicked.connect(self.test_connection)
        self.test_result = QLabel()
        self.test_result.setWordWrap(True)
        self.test_result.setObjectName("testResult")
        key_note = QLabel(self.tr("The key is kept in the system keyring.") if keys.available() else self.tr(
            "No system keyring here: the key is saved in the settings file, readable only by you."))
        key_note.setWordWrap(True)
        remote = QGroupBox(self.tr("Remote server"))
        rf = QFormLayout(remote)
        rf.addRow(self.tr("Base URL:"), self.remote_url)
        rf.addRow(self.tr("Model:"), self.remote_model)
        rf.addRow(self.tr("API key:"), self.remote_key)
        rf.addRow("", key_note)
        self.remote_grammar = QComboBox()
        for value, label in (("auto", self.tr("Automatic (vLLM or llama.cpp; off if the server rejects it)")),
                             ("llama.cpp", self.tr("llama.cpp server (grammar)")),
                             ("vllm", self.tr("vLLM (structured_outputs)")),
                             ("vllm-legacy", self.tr("older vLLM (guided_grammar)")),
                             ("off", self.tr("Off: the prompt alone asks for citations"))):
            self.remote_grammar.addItem(label, value)
        self.remote_grammar.setCurrentIndex(max(0, self.remote_grammar.findData(s.remote_grammar)))
        self.remote_grammar.setToolTip(self.tr("How the server is sent the grammar that makes every sentence of "
                                               "an answer end with its [n] markers"))
        rf.addRow(self.tr("Citation grammar:"), self.remote_grammar)
        rf.addRow(self.test_button, self.test_result)
        self.remote_group = remote

        # answers and embeddings
        self.temperature = QDoubleSpinBox()
        self.temperature.setRange(0.0, 2.0)
        self.temperature.setSingleStep(0.05)
        self.temperature.setValue(s.temperature)
        self.top_k = QSpinBox()
        self.top_k.setRange(1, 50)
        self.top_k.setValue(s.top_k)
        self.top_k.setSuffix(self.tr(" passages"))
        self.refusal_margin = QDoubleSpinBox()
        self.refusal_margin.setRange(-0.1, 0.1)
        self.refusal_margin.setDecimals(3)
        self.refusal_margin.setSingleStep(0.005)
        self.refusal_margin.setValue(s.refusal_margin)
        self.refusal_margin.setToolTip(self.tr(
            "Added to each collection's calibrated threshold for \"not in your documents\": above 0 refuses "
            "more often, below 0 less. Check quality (Ctrl+E) shows the effect."))
        self.embedding_model = QComboBox()
        self.embedding_model.setEditable(True)
        emb = controller.embedding_models()
        self.embedding_model.addItems(emb if s.embedding_model in emb else [s.embedding_model, *emb])
        self.embedding_model.setCurrentText(s.embedding_model)
        answers = QGroupBox(self.tr("Answers and retrieval"))
        af = QFormLayout(answers)
        af.addRow(self.tr("Temperature:"), self.temperature)
        af.addRow(self.tr("Passages per question (top-k):"), self.top_k)
        af.addRow(self.tr("Refusal margin:"), self.refusal_margin)
        self.constrained = QCheckBox(self.tr("Every sentence cites a passage"))
        self.constrained.setChecked(s.constrained_citations)
        self.constrained.setToolTip(self.tr(
            "Constrained generation: the model may only end a sentence with [n] markers that point at the "
            "passages it was given, or "
            "answer that your documents do not say. Each cited sentence is then checked against its passage."))
        af.addRow(self.tr("Citations:"), self.constrained)
        if collection:
            fixed = controller.embedding_model(collection) or self.tr("(chosen when it is first indexed)")
            af.addRow(self.tr("Embedding model of '{0}':").format(collection), QLabel(fixed))
        af.addRow(self.tr("Embedding model for new collections:"), self.embedding_model)
        self.pull_embedding_button = QPushButton(self.tr("Download {0}").format(DEFAULT_EMBEDDING_MODEL))
        self.pull_embedding_button.setToolTip(self.tr("Download the default embedding model for new collections"))
        self.pull_embedding_button.clicked.connect(lambda: self.pull_default(DEFAULT_EMBEDDING_MODEL))
        af.addRow("", self.pull_embedding_button)
        self.embedding_precision = QComboBox()
        self.embedding_precision.addItem(self.tr("Automatic ({0} on this CPU)").format(
            cpu.get("embedding_precision_auto", "fp32")), "auto")
        self.embedding_precision.addItem(self.tr("fp32: the same vectors as the original model"), "fp32")
        self.embedding_precision.addItem(self.tr("int8: indexes faster, retrieval slightly lower"), "int8")
        self.embedding_precision.setCurrentIndex(max(0, self.embedding_precision.findData(s.embedding_precision)))
        self.embedding_precision.setToolTip(self.tr(
            "How the embedding model's ONNX copy stores its weights. int8 is much faster only on CPUs with "
            "VNNI or AMX instructions and ranked about 0.01 lower on the evaluation corpus. Automatic: int8 on "
            "such CPUs, else fp32, and a collection keeps the weights it was built with; fp32 or int8 "
            "re-indexes a collection built otherwise at its next indexing."))
        af.addRow(self.tr("Embedding weights:"), self.embedding_precision)

        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setObjectName("settingsMessage")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)

        layout = QVBoxLayout(self)
        form = QFormLayout()
        form.addRow(self.tr("Language model:"), self.backend)
        layout.addLayout(form)
        layout.addWidget(local)
        layout.addWidget(remote)
        layout.addWidget(answers)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self._backend_changed()
        if "error" in library:  # e.g. a library set by name that this CPU cannot run
            self._fail(library["error"])

    def _backend_changed(self) -> None:
        remote = self.backend.currentData() == "remote"
        self.local_group.setEnabled(not remote)
        self.remote_group.setEnabled(remote)

    def changes(self) -> dict:
        """The edited values that differ from the current settings."""
        s = self.controller.settings
        values = {"backend": self.backend.currentData(), "llm_model": self.llm_model.currentText().strip(),
                  "n_gpu_layers": self.gpu_layers.value(), "n_ctx": self.n_ctx.value(),
                  "llama_cpu_variant": self.cpu_variant.currentData(),
                  "remote_url": self.remote_url.text().strip(), "remote_model": self.remote_model.text().strip(),
                  "remote_api_key": self.remote_key.text().strip(),
                  "temperature": round(self.temperature.value(), 2), "top_k": self.top_k.value(),
                  "refusal_margin": round(self.refusal_margin.value(), 3),
                  "constrained_citations": self.constrained.isChecked(),
                  "remote_grammar": self.remote_grammar.currentData(),
                  "embedding_model": self.embedding_model.currentText().strip(),
                  "embedding_precision": self.embedding_precision.currentData()}
        return {k: v for k, v in values.items() if getattr(s, k) != v}

    def _fail(self, message: str) -> None:
        self.message.setStyleSheet("color: #b00020;")
        self.message.setText(message)

    # ---- actions
    def choose_gguf(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Choose a GGUF model"), "",
                                              self.tr("GGUF models (*.gguf)"))
        if path:
            self.use_gguf(path)

    def use_gguf(self, path: str) -> bool:
        try:
            name = self.controller.add_model_file(path)
        except Exception as e:
            self._fail(str(e))
            return False
        if self.llm_model.findText(name) < 0:
            self.llm_model.addItem(name)
        self.llm_model.setCurrentText(name)
        return True

    def use_bundled(self) -> bool:
        try:
            entries = self.controller.add_packaged_models()
        except Exception as e:
            self._fail(str(e))
            return False
        for e in entries:
            box = self.llm_model if e.kind == "llm" else self.embedding_model
            if box.findText(e.name) < 0:
                box.addItem(e.name)
        llm = [e.name for e in entries if e.kind == "llm"]
        emb = [e.name for e in entries if e.kind == "embedding"]
        if llm:
            self.llm_model.setCurrentText(llm[0])
        if emb:
            self.embedding_model.setCurrentText(next((n for n in emb if "e5" in n), emb[0]))
        self.backend.setCurrentIndex(0)
        self.message.setStyleSheet("")
        self.message.setText(self.tr("Registered: {0}. Save to use them.").format(", ".join(e.name for e in entries)))
        return True

    def pull_default(self, name: str = DEFAULT_LLM_MODEL) -> None:
        """Download a known model (the default GGUF, or an embedding model) with a progress bar."""
        job = self.controller.pull_model(name, lambda done, total: self.download_progress.emit(done, total))
        job.item.connect(self._downloaded)
        job.failed.connect(self._fail)
        job.done.connect(self._pull_done)
        self._pull_job = job
        self.pull_button.setEnabled(False)
        self.pull_embedding_button.setEnabled(False)
        self.pull_progress.setRange(0, 0)
        for w in (self.pull_progress, self.pull_cancel):
            w.show()
        self.message.setStyleSheet("")
        self.message.setText(self.tr("Downloading {0}…").format(name))
        job.start()

    def _on_download_progress(self, done: float, total: float) -> None:
        if total:
            self.pull_progress.setRange(0, 1000)
            self.pull_progress.setValue(int(1000 * done / total))
            self.pull_progress.setFormat(self.tr("{0:.0f} of {1:.0f} MiB").format(done / 2**20, total / 2**20))

    def _downloaded(self, entry) -> None:
        box = self.llm_model if entry.kind == "llm" else self.embedding_model
        if box.findText(entry.name) < 0:
            box.addItem(entry.name)
        box.setCurrentText(entry.name)
        self.message.setText(self.tr("Downloaded {0}.").format(entry.name))

    def _pull_done(self) -> None:
        self._pull_job = None
        self.pull_button.setEnabled(True)
        self.pull_embedding_button.setEnabled(True)
        for w in (self.pull_progress, self.pull_cancel):
            w.hide()

    def test_connection(self) -> None:
        try:
            settings = self.controller.settings.replace(
                remote_url=self.remote_url.text().strip(), remote_model=self.remote_model.text().strip(),
                remote_api_key=self.remote_key.text().strip())
        except Exception as e:
            self._show_test(False, str(e))
            return
        job = self.controller.test_connection(settings)
        job.item.connect(lambda text: self._show_test(True, text))
        job.failed.connect(lambda text: self._show_test(False, text))
        job.done.connect(lambda: self.test_button.setEnabled(True))
        self._test_job = job
        self.test_button.setEnabled(False)
        self.test_result.setStyleSheet("")
        self.test_result.setText(self.tr("Connecting…"))
        job.start()

    def _show_test(self, ok: bool, text: str) -> None:
        self.test_result.setStyleSheet("color: #1b5e20;" if ok else "color: #b00020;")
        self.test_result.setText((self.tr("OK: {0}") if ok else self.tr("Failed: {0}")).format(text))

    def save(self) -> bool:
        changes = self.changes()
        if not changes:
            self.accept()
            return True
        try:
            plain = self.controller.apply_settings(changes)
        except Exception as e:
            self._fail(str(e))
            return False
        if "llama_cpu_variant" in changes:
            problem = self.controller.cpu_status()["llama_cpu_variant"].get("error")
            if problem:  # e.g. a library this CPU cannot run: said now, while another can still be chosen
                self._fail(self.tr("Saved, but the local model will not load: {0}").format(problem))
                return False
        parent = self.parent()
        if plain and parent is not None and hasattr(parent, "statusBar"):
            parent.statusBar().showMessage(self.tr(
                "Settings saved. No system keyring: the API key is in the settings file, readable only by you."),
                15000)
        elif parent is not None and hasattr(parent, "statusBar"):
            parent.statusBar().showMessage(self.tr("Settings saved."), 8000)
        self.accept()
        return True

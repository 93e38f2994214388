<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1">
<context>
    <name>ChatView</name>
    <message>
        <location filename="../chat_view.py" line="42"/>
        <source>Chats of this collection</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../chat_view.py" line="45"/>
        <location filename="../chat_view.py" line="116"/>
        <source>New chat</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../chat_view.py" line="47"/>
        <source>Copy answer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../chat_view.py" line="48"/>
        <source>Copy the last answer with its sources as Markdown</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../chat_view.py" line="50"/>
        <source>Export…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../chat_view.py" line="51"/>
        <source>Save this chat with its sources as Markdown, or as JSON with each answer&apos;s audit record (`assistant show` reads it)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../chat_view.py" line="55"/>
        <source>Chat:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../chat_view.py" line="62"/>
        <source>Conversation</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../chat_view.py" line="69"/>
        <source>Ask a question about the documents in this collection…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../chat_view.py" line="70"/>
        <source>Question</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../chat_view.py" line="72"/>
        <source>&amp;Ask</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../chat_view.py" line="75"/>
        <source>&amp;Stop</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../chat_view.py" line="76"/>
        <source>Stop the answer (Esc)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../chat_view.py" line="129"/>
        <source>Ask a question. Answers come only from the documents in this collection and cite file and page; click a source to open the page.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../chat_view.py" line="146"/>
        <source>Incomplete, the answer broke off: {0}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../chat_view.py" line="149"/>
        <source>Sources:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../chat_view.py" line="150"/>
        <source>Retrieved passages (not citations; the model did not cite):</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../chat_view.py" line="153"/>
        <source>{0} — p. {1}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../chat_view.py" line="157"/>
        <source>(no sentence found in it)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../chat_view.py" line="180"/>
        <source>Not verified: {0}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../chat_view.py" line="214"/>
        <source>Unverified: the answer cites no passage, so no sentence could be checked against your documents.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../chat_view.py" line="217"/>
        <source>Unverified: no sentence was found in the passage it cites. Do not rely on this answer.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../chat_view.py" line="220"/>
        <source>Partly verified: these sentences were not found in the passages they cite, or cite none:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../chat_view.py" line="237"/>
        <source>Searching the documents and preparing the model…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../chat_view.py" line="242"/>
        <source>Writing the answer… (Esc stops)</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Controller</name>
    <message>
        <location filename="../controller.py" line="325"/>
        <source>no damage was found in the index of &apos;{0}&apos;; nothing was rebuilt</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../controller.py" line="335"/>
        <source>Indexing of &apos;{0}&apos; is still running; wait for it or cancel it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../controller.py" line="431"/>
        <source>Cannot save the chat history: {0}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../controller.py" line="436"/>
        <source>An answer is still being written; stop it first.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../controller.py" line="439"/>
        <source>Create a collection and add documents before asking.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../controller.py" line="473"/>
        <source>no answer was produced</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../controller.py" line="476"/>
        <source>The answer broke off: {0}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../controller.py" line="493"/>
        <source>The index of &apos;{0}&apos; is being rebuilt from its PDFs; ask again when that has finished.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../controller.py" line="513"/>
        <source>Create a collection and add documents before searching.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../controller.py" line="547"/>
        <source>Create a collection and add documents before checking its quality.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../controller.py" line="605"/>
        <source>Wait for indexing, answering and searching to finish before changing settings.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Job</name>
    <message>
        <location filename="../jobs.py" line="21"/>
        <source>In the app: Settings (Ctrl+,) → Download the embedding model, or Use bundled small models.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../jobs.py" line="24"/>
        <source>In the app: Settings (Ctrl+,) → Download, Choose GGUF file, or Use bundled small models.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../jobs.py" line="27"/>
        <source>Wait for it to finish (or stop it), then try again; nothing was changed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../jobs.py" line="30"/>
        <source>In the app: Repair in the banner above, or Collection → Repair index….</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../main_window.py" line="59"/>
        <source>Archive Assistant</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="91"/>
        <source>&amp;New collection…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="92"/>
        <source>Add &amp;folder…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="93"/>
        <source>Add a folder of PDFs to this collection and index it</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="94"/>
        <source>Add f&amp;iles…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="95"/>
        <source>&amp;Re-index</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="96"/>
        <source>Index new and changed files of this collection&apos;s folders</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="97"/>
        <source>Re&amp;name…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="98"/>
        <source>&amp;Delete collection</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="99"/>
        <source>Read &amp;scanned pages (OCR)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="100"/>
        <location filename="../main_window.py" line="323"/>
        <source>Read pages without a text layer with OCR when indexing this collection</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="102"/>
        <source>Re&amp;pair index…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="103"/>
        <source>Rebuild this collection&apos;s index from its PDFs (the broken index files are kept aside)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="104"/>
        <source>&amp;Settings…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="105"/>
        <source>Focus the question</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="107"/>
        <source>Search the documents</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="108"/>
        <source>Find the best pages for a question, without an answer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="109"/>
        <source>Check &amp;quality…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="110"/>
        <source>Measure on a file of questions how well search finds the right pages and refuses absent answers</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="115"/>
        <source>Main</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="126"/>
        <source>Co&amp;llection</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="137"/>
        <source>Collections</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="145"/>
        <source>&lt;b&gt;Collections&lt;/b&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="163"/>
        <source>Documents</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="164"/>
        <source>File</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="164"/>
        <source>State</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="164"/>
        <source>Pages</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="164"/>
        <source>Chunks</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="165"/>
        <source>Details</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="174"/>
        <source>&amp;Chat</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="175"/>
        <source>S&amp;earch</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="176"/>
        <source>D&amp;ocuments</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="190"/>
        <source>Dismiss</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="194"/>
        <source>&amp;Repair</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="195"/>
        <source>Rebuild the index from this collection&apos;s PDFs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="209"/>
        <source>Indexing progress</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="211"/>
        <source>Cancel indexing</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="245"/>
        <source>{0} (index damaged)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="246"/>
        <source>{0} (re-index needed)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="247"/>
        <source>{0} documents, {1} pages; embedding model {2}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="249"/>
        <source>Index damaged: {0}. Use Repair to rebuild it from the PDFs.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="251"/>
        <source>Re-index needed: {0}. Use Re-index to index every file again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="267"/>
        <source>The index of &apos;{0}&apos; is damaged ({1}). Repair rebuilds it from your PDFs; the broken files are kept aside.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="281"/>
        <source>Welcome</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="282"/>
        <source>Create a collection (Ctrl+N) and add folders of PDFs, or drop folders or PDF files on this window. Then ask questions: answers come only from your documents, with file and page.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="298"/>
        <source>indexed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="298"/>
        <source>skipped, unchanged</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="299"/>
        <source>failed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="299"/>
        <source>not finished</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="299"/>
        <source>removed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="302"/>
        <source>duplicate of {0}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="312"/>
        <source>{0} documents · embedding model: {1}
Folders: {2}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="313"/>
        <source>(not yet)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="313"/>
        <source>none yet</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="325"/>
        <source>OCR: off</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="327"/>
        <source>OCR: not available ({0})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="329"/>
        <source>OCR: on ({0})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="331"/>
        <source>{0} page(s) read by OCR</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="333"/>
        <source>{0} scanned page(s) not read</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="342"/>
        <source>Scanned pages of &apos;{0}&apos; are read by OCR from the next re-index (F5).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="343"/>
        <source>Scanned pages of &apos;{0}&apos; are no longer read by OCR; pages read already stay indexed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="353"/>
        <source>Name of the new collection:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="353"/>
        <source>New collection</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="360"/>
        <source>Creating &apos;{0}&apos; (loading the embedding model)…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="367"/>
        <source>Rename collection</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="367"/>
        <source>New name:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="380"/>
        <source>Delete collection</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="381"/>
        <source>Delete the collection &apos;{0}&apos;, its index and its chats? Your PDF files are not touched.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="388"/>
        <source>Add a folder of PDFs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="393"/>
        <source>Add PDF files</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="393"/>
        <source>PDF files (*.pdf)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="439"/>
        <source>Repair index</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="440"/>
        <source>No damage was found in the index of &apos;{0}&apos;. Rebuild it anyway? Every file is indexed again from your PDFs, which can take a while; the current index files are kept aside.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="448"/>
        <location filename="../main_window.py" line="478"/>
        <source>Cancelling — files already finished are kept…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="462"/>
        <source>Rebuilding &apos;{0}&apos;: {1} of {2} files · {3} pages · {4:.1f} pages/s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="464"/>
        <source>Indexing &apos;{0}&apos;: {1} of {2} files · {3} pages · {4:.1f} pages/s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="467"/>
        <location filename="../main_window.py" line="476"/>
        <source>about {0} left</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="470"/>
        <source>{0}: {1} of {2} passages</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="473"/>
        <source>{0}: OCR page {1} of {2}, {3:.2f} pages/s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="486"/>
        <source>Indexing stopped with an error; files already finished are kept.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="489"/>
        <source>&apos;{0}&apos;: {1} indexed, {2} unchanged, {3} failed, {4} removed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="494"/>
        <source>{0} page(s) read by OCR.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="496"/>
        <source>{0} duplicate(s): the same content as an indexed file, indexed once.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="500"/>
        <source>{0} skipped (not regular files, e.g. {1}: {2}).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="506"/>
        <source>Indexing cancelled; finished files were kept.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="526"/>
        <source>Loading the embedding model…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="608"/>
        <source>Q:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="608"/>
        <source>Error:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="608"/>
        <source>(no answer)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="609"/>
        <source>(stopped before the end)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="609"/>
        <source>Sources:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="610"/>
        <source>Retrieved passages (not citations):</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="610"/>
        <source>p.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="611"/>
        <source>Chat</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="611"/>
        <source>Collection:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="612"/>
        <source>Not found in the passages they cite (unverified):</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="613"/>
        <source>Incomplete, the answer broke off:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="619"/>
        <source>Answer and sources copied as Markdown.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="625"/>
        <source>This chat has no answers to export yet.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="629"/>
        <source>Markdown (*.md)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="629"/>
        <source>JSON with audit records (*.json)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="630"/>
        <source>Export chat</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="643"/>
        <source>Cannot write {0}: {1}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="645"/>
        <source>Chat exported to {0}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="659"/>
        <source>Error: {0}</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>PdfViewer</name>
    <message>
        <location filename="../pdf_viewer.py" line="172"/>
        <source>Click a source under an answer to see the passage here.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../pdf_viewer.py" line="189"/>
        <source>Previous page</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../pdf_viewer.py" line="191"/>
        <source>Next page</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../pdf_viewer.py" line="194"/>
        <source>Page</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../pdf_viewer.py" line="196"/>
        <source>Zoom out</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../pdf_viewer.py" line="198"/>
        <source>Zoom in</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../pdf_viewer.py" line="201"/>
        <source>Fit width</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../pdf_viewer.py" line="202"/>
        <source>Open in system viewer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../pdf_viewer.py" line="217"/>
        <source>‹</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../pdf_viewer.py" line="217"/>
        <source>›</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../pdf_viewer.py" line="218"/>
        <source>−</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../pdf_viewer.py" line="218"/>
        <source>+</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../pdf_viewer.py" line="219"/>
        <source>↔</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../pdf_viewer.py" line="258"/>
        <source>This file has no page {page} (it has {count}); it may have changed since it was indexed. Re-index it to update the sources.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../pdf_viewer.py" line="263"/>
        <source>The quoted passage was not found on this page; the file may have changed since it was indexed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../pdf_viewer.py" line="297"/>
        <source>Cannot find {file}. It may have been moved, renamed or deleted; re-index your documents so that the sources point at existing files.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../pdf_viewer.py" line="310"/>
        <source>the file cannot be read</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../pdf_viewer.py" line="311"/>
        <source>it is not a valid PDF</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../pdf_viewer.py" line="312"/>
        <source>it is password protected</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../pdf_viewer.py" line="313"/>
        <source>it is encrypted</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../pdf_viewer.py" line="314"/>
        <source>it has no pages</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../pdf_viewer.py" line="315"/>
        <source>unknown error</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../pdf_viewer.py" line="316"/>
        <source>Cannot open {file}: {reason}. It may have been moved or replaced since it was indexed; re-index your documents, or try the system viewer.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../pdf_viewer.py" line="383"/>
        <source>No application is set up to open PDF files.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../pdf_viewer.py" line="395"/>
        <source>p. </source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../pdf_viewer.py" line="396"/>
        <source> of {count}</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>QualityDialog</name>
    <message>
        <location filename="../quality_dialog.py" line="30"/>
        <source>Check quality of &apos;{0}&apos;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../quality_dialog.py" line="36"/>
        <source>Measures how well search finds the right document for questions whose answer you know, and whether it refuses questions that no document answers. No language model runs.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../quality_dialog.py" line="39"/>
        <source>The questions file has one JSON object per line: the question, the file that answers it (its name), and the page, or null for both when no document answers it:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../quality_dialog.py" line="47"/>
        <source>Questions file (.jsonl)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../quality_dialog.py" line="48"/>
        <source>Questions file</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../quality_dialog.py" line="51"/>
        <source>Choose questions file…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../quality_dialog.py" line="53"/>
        <source>&amp;Run</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../quality_dialog.py" line="74"/>
        <source>Quality report</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../quality_dialog.py" line="75"/>
        <source>The report appears here.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../quality_dialog.py" line="77"/>
        <source>&amp;Copy</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../quality_dialog.py" line="78"/>
        <source>Copy the report as text</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../quality_dialog.py" line="80"/>
        <source>Close</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../quality_dialog.py" line="100"/>
        <source>Choose a questions file</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../quality_dialog.py" line="101"/>
        <source>Questions (*.jsonl);;All files (*)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../quality_dialog.py" line="110"/>
        <source>Scoring the questions on &apos;{0}&apos;… (the first run after the collection changed takes longer)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../quality_dialog.py" line="120"/>
        <source>Report copied.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../quality_dialog.py" line="131"/>
        <source>Scored {0} questions from {1}.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>SearchView</name>
    <message>
        <location filename="../search_view.py" line="43"/>
        <source>Search the documents of this collection…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../search_view.py" line="44"/>
        <source>Search query</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../search_view.py" line="46"/>
        <source>Search</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../search_view.py" line="47"/>
        <source>Rank the pages for this question, without writing an answer (Enter)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../search_view.py" line="55"/>
        <source>Search results</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../search_view.py" line="56"/>
        <source>#</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../search_view.py" line="56"/>
        <source>File</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../search_view.py" line="56"/>
        <source>Page</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../search_view.py" line="56"/>
        <source>Score</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../search_view.py" line="57"/>
        <source>Passage</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../search_view.py" line="71"/>
        <source>Passage of the selected result</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../search_view.py" line="103"/>
        <source>{0} — p. {1} · score {2}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../search_view.py" line="112"/>
        <source>Find the pages that best match a question, with the passage and its score; double-click one (or press Enter) to open the page.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../search_view.py" line="118"/>
        <source>Searching… (the first search after the collection changed takes a few seconds longer)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../search_view.py" line="126"/>
        <source>Search failed: {0}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../search_view.py" line="143"/>
        <source>1 page in {0:.2f} s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../search_view.py" line="144"/>
        <source>{0} pages in {1:.2f} s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../search_view.py" line="146"/>
        <source>Re-index needed: {0}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../search_view.py" line="150"/>
        <source>Ask would refuse: {0}</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <location filename="../settings_dialog.py" line="39"/>
        <source>Settings</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="45"/>
        <source>Local model on this computer (llama.cpp)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="46"/>
        <source>Remote server (OpenAI-compatible)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="56"/>
        <source>A registered model name or the path of a GGUF file</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="57"/>
        <source>Choose GGUF file…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="59"/>
        <location filename="../settings_dialog.py" line="203"/>
        <source>Download {0}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="63"/>
        <source>Cancel download</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="69"/>
        <source>automatic</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="71"/>
        <source>Layers on the GPU: automatic (all when a GPU build is installed), -1 all, 0 none</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="80"/>
        <source>Automatic ({0})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="80"/>
        <source>Automatic</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="95"/>
        <source>Which of llama.cpp&apos;s CPU libraries the local model runs, plainest first. Automatic picks the best for this CPU; after a crash inside llama.cpp, choose a plainer one.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="92"/>
        <source>llama.cpp here has its CPU code built in: there is no CPU library to choose.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="88"/>
        <source>needs instructions this CPU does not have</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="101"/>
        <source>Extensions: {0} (read by {1}; this program needs {2} or newer)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="107"/>
        <source> tokens</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="108"/>
        <source>Local model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="113"/>
        <location filename="../settings_dialog.py" line="148"/>
        <source>Model:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="119"/>
        <source>Use bundled small models (offline demo)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="124"/>
        <source>GPU layers:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="125"/>
        <source>CPU library (llama.cpp):</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="126"/>
        <source>CPU:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="127"/>
        <source>Context size:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="136"/>
        <source>(none)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="137"/>
        <source>&amp;Test connection</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="142"/>
        <source>The key is kept in the system keyring.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="143"/>
        <source>No system keyring here: the key is saved in the settings file, readable only by you.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="145"/>
        <source>Remote server</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="147"/>
        <source>Base URL:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="149"/>
        <source>API key:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="152"/>
        <source>Automatic (vLLM or llama.cpp; off if the server rejects it)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="153"/>
        <source>llama.cpp server (grammar)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="154"/>
        <source>vLLM (structured_outputs)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="155"/>
        <source>older vLLM (guided_grammar)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="156"/>
        <source>Off: the prompt alone asks for citations</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="159"/>
        <source>How the server is sent the grammar that makes every sentence of an answer end with its [n] markers</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="161"/>
        <source>Citation grammar:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="173"/>
        <source> passages</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="180"/>
        <source>Added to each collection&apos;s calibrated threshold for &quot;not in your documents&quot;: above 0 refuses more often, below 0 less. Check quality (Ctrl+E) shows the effect.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="187"/>
        <source>Answers and retrieval</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="189"/>
        <source>Temperature:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="190"/>
        <source>Passages per question (top-k):</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="191"/>
        <source>Refusal margin:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="198"/>
        <source>Citations:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="200"/>
        <source>(chosen when it is first indexed)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="201"/>
        <source>Embedding model of &apos;{0}&apos;:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="202"/>
        <source>Embedding model for new collections:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="208"/>
        <source>Automatic ({0} on this CPU)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="210"/>
        <source>fp32: the same vectors as the original model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="211"/>
        <source>int8: indexes faster, retrieval slightly lower</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="218"/>
        <source>Embedding weights:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="230"/>
        <source>Language model:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="268"/>
        <source>Choose a GGUF model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="269"/>
        <source>GGUF models (*.gguf)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="302"/>
        <source>Registered: {0}. Save to use them.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="332"/>
        <source>Downloaded {0}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="318"/>
        <source>Downloading {0}…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="98"/>
        <source>{0}, {1}, {2}</source>
        <comment>CPU name, x86-64 level, widest vector instructions</comment>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="120"/>
        <source>Use the small models that the desktop bundle or installed Python packages carry (SmolLM2-135M, multilingual-e5-small): quick to try, weak answers</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="192"/>
        <source>Every sentence cites a passage</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="195"/>
        <source>Constrained generation: the model may only end a sentence with [n] markers that point at the passages it was given, or answer that your documents do not say. Each cited sentence is then checked against its passage.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="204"/>
        <source>Download the default embedding model for new collections</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="214"/>
        <source>How the embedding model&apos;s ONNX copy stores its weights. int8 is much faster only on CPUs with VNNI or AMX instructions and ranked about 0.01 lower on the evaluation corpus. Automatic: int8 on such CPUs, else fp32, and a collection keeps the weights it was built with; fp32 or int8 re-indexes a collection built otherwise at its next indexing.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="325"/>
        <source>{0:.0f} of {1:.0f} MiB</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="356"/>
        <source>Connecting…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="361"/>
        <source>OK: {0}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="361"/>
        <source>Failed: {0}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="376"/>
        <source>Saved, but the local model will not load: {0}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="381"/>
        <source>Settings saved. No system keyring: the API key is in the settings file, readable only by you.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="384"/>
        <source>Settings saved.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>main</name>
    <message>
        <location filename="../app.py" line="59"/>
        <source>Archive Assistant</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../app.py" line="66"/>
        <source>There is no collection named &apos;{0}&apos;.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
</TS>

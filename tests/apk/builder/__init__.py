"""A pure-Python builder of synthetic test APKs (manifests, resources, dex strings, signatures).

Public API:

- :class:`~tests.apk.builder.apk.SyntheticApp` (with ``ComponentSpec``, ``IntentFilterSpec``,
  ``MetaDataSpec``) describes an app; :func:`~tests.apk.builder.apk.build_apk` returns its
  signed APK bytes and :func:`~tests.apk.builder.apk.write_apk` writes ``PACKAGE.apk``.
- :mod:`tests.apk.builder.corpus`: ``APPS``, ``APPS_BY_PACKAGE`` and ``build_corpus(folder)``;
  ``python -m tests.apk.builder.corpus OUTDIR`` builds them all.
- :func:`~tests.apk.builder.expectations.load_expectations` reads tests/apk/cases/synthetic.yml.
- :func:`~tests.apk.builder.keys.load_key` gives a committed test key and its certificate
  digests (``cert_sha1``, ``cert_sha256``) for test feeds.
- Low-level writers: ``axml_writer.encode_xml``, ``arsc_writer.ResourceTable``,
  ``dex_writer.encode_dex``, ``signer.jar_signature_files`` / ``signer.add_signing_block``,
  ``zip_writer.write_zip``; real-tool oracles in :mod:`tests.apk.builder.oracles`.

See docs/testing-apks.md.
"""

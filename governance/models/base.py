"""Shared model bases: timestamps and the one tree base every tree model of the project uses.

Tree code stays behind :class:`TreeModel`: apps ask it for subtree filters, ancestors and locks
and never touch django-mptt's fields directly, so the tree library could be replaced here alone.
"""

from __future__ import annotations

import bisect
import zlib
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import connections, models, router, transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.query_utils import DeferredAttribute
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from mptt.managers import TreeManager
from mptt.models import MPTTModel, TreeForeignKey

from governance import processcache
from governance.pinyin import PinyinQuerySetMixin


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class AppendOnlyQuerySet(models.QuerySet):
    """Bulk updates and deletes are refused as well as per-row ones."""

    def update(self, **kwargs):
        raise PermissionError(f"{self.model._meta.verbose_name} rows are append-only.")

    def delete(self):
        raise PermissionError(f"{self.model._meta.verbose_name} rows are append-only.")


class AppendOnlyModel(models.Model):
    """Rows are written once and never changed or deleted: logs, ledgers, histories.

    On PostgreSQL, models that must survive raw SQL too add a trigger in a migration (see
    casework's events)."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError(f"{self._meta.verbose_name} rows are append-only.")
        return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError(f"{self._meta.verbose_name} rows are append-only.")


class TreeQuerySet(PinyinQuerySetMixin, models.QuerySet):
    """Tree reads; bulk writes fill the pinyin keys of a tree model that has them."""

    def within(
        self, node: TreeModel, *, include_self: bool = True, depth: int | None = None
    ) -> TreeQuerySet:
        """Rows in the subtree of ``node`` (a range query on the tree, never a Python walk),
        down to ``depth`` levels below it when given."""
        qs = self.filter(type(node).subtree_q(node, include_self=include_self))
        if depth is not None:
            qs = qs.filter(level__lte=node.level + depth)
        return qs

    def with_descendant_count(self) -> TreeQuerySet:
        # In a nested-set tree the descendant count is arithmetic on the node itself.
        return self.annotate(descendant_count=(models.F("rght") - models.F("lft") - 1) / 2)


class TreeModelManager(TreeManager.from_queryset(TreeQuerySet)):
    pass


class TreeModel(MPTTModel):
    """Abstract base of every tree: parent link, name ordering, cycle check, serialized writes.

    django-mptt leaves mutual exclusion to its caller; two concurrent inserts otherwise compute
    the same ``tree_id``/``lft`` and corrupt the tree. Every write here runs inside a transaction
    that first takes a per-model lock: a PostgreSQL advisory transaction lock, or on SQLite the
    database write lock that IMMEDIATE transactions take anyway.
    """

    parent = TreeForeignKey(
        "self",
        verbose_name=_("parent"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )

    objects = TreeModelManager()

    class Meta:
        abstract = True

    class MPTTMeta:
        order_insertion_by = ("name",)

    def __init__(self, *args, **kwargs) -> None:
        # What django-mptt's __init__ keeps for save() to tell a move (the parent and the
        # insertion order's fields as loaded; DeferredAttribute for one not loaded), read from
        # the instance's own values: mptt finds the deferred fields by walking every column of
        # the model for every instance, and a list page builds about a hundred areas and
        # categories (a twentieth of its CPU, issue 15).
        models.Model.__init__(self, *args, **kwargs)
        loaded = self.__dict__
        self._mptt_cached_fields = {
            name: loaded.get(attname, DeferredAttribute)
            for name, attname in self._tree_tracked_fields()
        }

    @classmethod
    def _tree_tracked_fields(cls) -> tuple[tuple[str, str], ...]:
        """(name, attname) of the fields mptt compares on save: the parent and the fields of
        ``order_insertion_by`` (worked out once per model)."""
        tracked = cls.__dict__.get("_tree_tracked")
        if tracked is None:
            opts = cls._mptt_meta
            names = dict.fromkeys(
                [opts.parent_attr, *(f[1:] if f[0] == "-" else f for f in opts.order_insertion_by)]
            )
            tracked = tuple((name, cls._meta.get_field(name).attname) for name in names)
            cls._tree_tracked = tracked
        return tracked

    # -- validation -------------------------------------------------------------------------
    def clean(self) -> None:
        super().clean()
        if self.parent_id:
            self.check_parent(self.parent)

    def check_parent(self, parent: TreeModel) -> None:
        """Refuse ``parent`` for this node when it is the node itself or lies below it: the one
        cycle check of every tree (forms, admin, services and moves call it)."""
        if self.pk is None or parent is None:
            return
        if parent.pk == self.pk:
            raise ValidationError({"parent": _("A node cannot be its own parent.")})
        if self.is_ancestor_of_node(parent):
            raise ValidationError(
                {"parent": _("A node cannot be moved under one of its own descendants.")}
            )

    def is_ancestor_of_node(self, other: TreeModel) -> bool:
        """True if ``other`` lies inside this node's stored subtree (reads stored lft/rght)."""
        stored = (
            type(self)._default_manager.filter(pk=self.pk).values("tree_id", "lft", "rght").first()
        )
        if stored is None or other.pk is None:
            return False
        return other.tree_id == stored["tree_id"] and stored["lft"] <= other.lft <= stored["rght"]

    # -- locking ----------------------------------------------------------------------------
    @classmethod
    def lock_tree(cls) -> None:
        """Serialize tree writes for this model until the surrounding transaction ends."""
        using = router.db_for_write(cls)
        connection = connections[using]
        if not connection.in_atomic_block:
            raise RuntimeError("lock_tree() must be called inside transaction.atomic()")
        if connection.vendor == "postgresql":
            key = zlib.crc32(cls._meta.label_lower.encode())
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])

    @classmethod
    def lock_ancestry(cls, *, shared: bool) -> None:
        """Hold what lies above this model's nodes until the surrounding transaction ends.

        Taken exclusive by a write that changes it (a move; for areas a change of kind too,
        ``grids.models.Area.save_locked``), after the tree lock and before the tree changes;
        taken shared by a write that keeps a node's ancestors beside its own row (a case keeps
        the community and grid above its area, ``casework.services.case_report``), before it
        reads them inside its transaction. So the keeper either commits before the move changes
        the tree (and the move's follow-up, ``area_moved``, sees its row) or reads the tree after
        the move committed. Without it, a keeper that read the ancestors before a move committed
        and commits after the follow-up ran keeps the old ones.

        PostgreSQL: an advisory transaction lock of its own, not the tree lock, so that keepers
        wait for moves only (not for inserts, edits or an import's whole file); a statement
        read after it sees every move committed before. SQLite: nothing to take, IMMEDIATE
        transactions already admit one writer at a time, so what the keeper reads inside its
        transaction stays as it is until it commits. Order: the tree lock first, then this one
        (a transaction that files a case and then writes the tree could deadlock with a move;
        PostgreSQL would fail one of them).
        """
        using = router.db_for_write(cls)
        connection = connections[using]
        if not connection.in_atomic_block:
            raise RuntimeError("lock_ancestry() must be called inside transaction.atomic()")
        if connection.vendor == "postgresql":
            function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT {function}(%s)", [cls.ancestry_lock_key()])

    @classmethod
    def ancestry_lock_key(cls) -> int:
        """The key of :meth:`lock_ancestry`'s advisory lock on PostgreSQL (``pg_locks.objid``)."""
        return zlib.crc32(f"{cls._meta.label_lower}:ancestry".encode())

    def save(self, *args, **kwargs):
        with transaction.atomic(using=router.db_for_write(type(self))):
            type(self).lock_tree()
            # Re-read tree fields after taking the lock: another writer may have shifted them
            # since these instances were loaded, and mptt computes the new position from them.
            self._refresh_tree_fields()
            if self.parent_id is not None:
                self.parent._refresh_tree_fields()
            return self.save_locked(*args, **kwargs)

    def save_locked(self, *args, **kwargs):
        """The write itself, inside the transaction :meth:`save` opened and under its tree lock.
        A tree that writes more along with the node (an area: its subtree's codes) extends this
        rather than ``save``, so that a save takes the lock and a savepoint once."""
        return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        with transaction.atomic(using=router.db_for_write(type(self))):
            type(self).lock_tree()
            self._refresh_tree_fields()
            return super().delete(*args, **kwargs)

    def move_to(self, target, position="first-child"):
        with transaction.atomic(using=router.db_for_write(type(self))):
            type(self).lock_tree()
            self._refresh_tree_fields()
            if target is not None:
                target._refresh_tree_fields()
            return super().move_to(target, position)

    def _refresh_tree_fields(self) -> None:
        if self.pk is None:
            return
        opts = self._mptt_meta
        fields = [opts.tree_id_attr, opts.left_attr, opts.right_attr, opts.level_attr]
        stored = type(self)._default_manager.filter(pk=self.pk).values(*fields).first()
        if stored:
            for name, value in stored.items():
                setattr(self, name, value)

    # -- reading ----------------------------------------------------------------------------
    @classmethod
    def subtree_q(cls, node: TreeModel, *, prefix: str = "", include_self: bool = True) -> Q:
        """A filter for rows whose ``prefix`` node lies in the subtree of ``node``.

        ``prefix`` is the lookup path from the queried model to this tree model
        (``""`` for the tree model itself, ``"area__"`` for a model with an ``area`` key).
        """
        low = node.lft if include_self else node.lft + 1
        return Q(**{f"{prefix}tree_id": node.tree_id, f"{prefix}lft__range": (low, node.rght)})

    @classmethod
    def subtrees_q(cls, nodes: Iterable[TreeModel], *, prefix: str = "") -> Q:
        q = Q(pk__in=[])
        for node in nodes:
            q |= cls.subtree_q(node, prefix=prefix)
        return q

    @classmethod
    def outer_subtree_q(cls, *, prefix: str = "") -> Q:
        """For a subquery: rows whose ``prefix`` node lies in the subtree of the outer query's
        row (the outer query reads this tree model), e.g. the staff below each listed area."""
        return Q(
            **{
                f"{prefix}tree_id": OuterRef("tree_id"),
                f"{prefix}lft__gte": OuterRef("lft"),
                f"{prefix}lft__lte": OuterRef("rght"),
            }
        )

    @classmethod
    def outer_ancestors_q(cls, *, outer: str) -> Q:
        """For a subquery: rows that are the outer query's ``outer`` node (a lookup path to this
        tree model, e.g. ``"area"``) or one of its ancestors, e.g. the street around each listed
        role assignment's area."""
        return Q(
            tree_id=OuterRef(f"{outer}__tree_id"),
            lft__lte=OuterRef(f"{outer}__lft"),
            rght__gte=OuterRef(f"{outer}__rght"),
        )

    @classmethod
    def ancestors_q(cls, node: TreeModel, *, prefix: str = "", include_self: bool = False) -> Q:
        """A filter for rows whose ``prefix`` node is an ancestor of ``node`` (or ``node``
        itself with ``include_self``), e.g. the role assignments whose scope contains an area."""
        if include_self:
            return Q(
                **{
                    f"{prefix}tree_id": node.tree_id,
                    f"{prefix}lft__lte": node.lft,
                    f"{prefix}rght__gte": node.rght,
                }
            )
        return Q(
            **{
                f"{prefix}tree_id": node.tree_id,
                f"{prefix}lft__lt": node.lft,
                f"{prefix}rght__gt": node.rght,
            }
        )

    @classmethod
    def stored_ancestors_cte(cls, name: str, fields: Iterable[str]) -> str:
        """A ``WITH RECURSIVE`` clause for a statement written by hand, with one parameter, a
        node's pk: the table ``name`` of the node and its ancestors, with the columns ``pk``,
        ``parent`` and ``fields`` (by their names), where the tree has them when the statement
        runs (read by the statement itself, not taken from a copy read earlier): for a
        statement that must agree with the tree at its own moment (filing a case reads its
        community and grid so, after :meth:`lock_ancestry`).

        It walks up the parent links, a primary-key lookup a level: at 107,000 areas 0.1 ms
        where a range on the nested set read every area of the kind asked for (1–2 ms); and it
        is written out: compiling a queryset for it took the ORM 3–4 ms of CPU on a busy machine."""
        q = connections[router.db_for_read(cls)].ops.quote_name
        meta = cls._meta
        fields = list(fields)
        parent = meta.get_field(cls._mptt_meta.parent_attr).column
        columns = [q(meta.pk.column), q(parent), *(q(meta.get_field(f).column) for f in fields)]
        names = ", ".join(q(n) for n in ["pk", "parent", *fields])
        table, cte = q(meta.db_table), q(name)
        return (
            f"WITH RECURSIVE {cte} ({names}) AS ("
            f"SELECT {', '.join(columns)} FROM {table} WHERE {columns[0]} = %s UNION ALL "
            f"SELECT {', '.join(f'node.{c}' for c in columns)} FROM {table} node "
            f"JOIN {cte} below ON node.{columns[0]} = below.{q('parent')}) "
        )

    @classmethod
    def stored_ancestry(cls, pk) -> set:
        """The pks of the node ``pk`` and of its ancestors where the tree has them when the
        statement runs (:meth:`stored_ancestors_cte`): for a check that must agree with the tree
        as it stands now, not with nodes loaded before (their nested-set numbers may be stale).
        Empty when there is no such node."""
        using = router.db_for_read(cls)
        q = connections[using].ops.quote_name
        with connections[using].cursor() as cursor:
            cursor.execute(
                f"{cls.stored_ancestors_cte('above', [])}SELECT {q('pk')} FROM {q('above')}", [pk]
            )
            return {row[0] for row in cursor.fetchall()}

    @classmethod
    def with_ancestors(cls, pk) -> TreeModel | None:
        """The node ``pk`` and its ancestors, read in one query; the ancestors (root first) are
        kept on the node as ``loaded_ancestors``. None when there is no such node.

        For code that needs a node and its ancestry at once (filing a case needs the area, its
        street, community and grid): one round trip instead of two."""
        return cls.with_ancestors_many([pk]).get(pk)

    @classmethod
    def with_ancestors_many(cls, pks: Iterable) -> dict[int, TreeModel]:
        """:meth:`with_ancestors` of each of ``pks``, by pk, read in one query for all of them
        (the missing are left out). Nodes that are ancestors of others are the same instances
        there: read only."""
        pks = list(pks)
        if not pks:
            return {}
        nodes = cls._default_manager.filter(
            pk__in=pks,
            tree_id=OuterRef("tree_id"),
            lft__gte=OuterRef("lft"),
            lft__lte=OuterRef("rght"),
        )
        # Every row is one of the nodes or an ancestor of one.
        rows = list(cls._default_manager.filter(Exists(nodes)).order_by("tree_id", "lft"))
        wanted = set(pks)
        found = {}
        for row in rows:
            if row.pk in wanted:
                row.loaded_ancestors = [
                    a
                    for a in rows
                    if a.tree_id == row.tree_id and a.lft < row.lft and a.rght > row.rght
                ]
                found[row.pk] = row
        return found

    @classmethod
    def ancestors_of_many(cls, nodes: Iterable[TreeModel]) -> dict[int, list[TreeModel]]:
        """Ancestors (root first) of each node, read in one query for all of them."""
        nodes = list(nodes)
        if not nodes:
            return {}
        q = Q(pk__in=[])
        for node in nodes:
            q |= cls.ancestors_q(node)
        candidates = list(cls._default_manager.filter(q).order_by("tree_id", "lft"))
        return {
            node.pk: [
                a
                for a in candidates
                if a.tree_id == node.tree_id and a.lft < node.lft and a.rght > node.rght
            ]
            for node in nodes
        }

    @classmethod
    def enclosing(cls, nodes: models.QuerySet, containers: models.QuerySet) -> dict[int, int]:
        """For each row of ``nodes``, the pk of the row of ``containers`` whose subtree holds it.

        ``containers`` must not nest (one kind of node, say every grid of a street). Two queries
        whatever the number of nodes: both sides are read as ranges and matched by bisection, so
        a district's 30,000 buildings find their grids without a query per building.
        """
        ranges = sorted(containers.order_by().values_list("tree_id", "lft", "rght", "pk"))
        starts = [(tree_id, lft) for tree_id, lft, _rght, _pk in ranges]
        result: dict[int, int] = {}
        for pk, tree_id, lft in (
            nodes.order_by().values_list("pk", "tree_id", "lft").iterator(chunk_size=5000)
        ):
            index = bisect.bisect_right(starts, (tree_id, lft)) - 1
            if index >= 0:
                c_tree, c_lft, c_rght, c_pk = ranges[index]
                if c_tree == tree_id and c_lft <= lft <= c_rght:
                    result[pk] = c_pk
        return result

    def is_within(self, node: TreeModel) -> bool:
        """True if this node is ``node`` or one of its descendants."""
        return self.tree_id == node.tree_id and node.lft <= self.lft <= node.rght

    @property
    def descendant_total(self) -> int:
        return (self.rght - self.lft - 1) // 2

    @property
    def is_leaf(self) -> bool:
        return self.rght - self.lft == 1

    @property
    def tree_position(self) -> tuple[int, int, int]:
        """Where the node sits in the stored tree: sorts in tree order, and changes whenever the
        node moves (a key for caches of what depends on the node's place)."""
        return (self.tree_id, self.lft, self.rght)

    @classmethod
    def tree_order(cls, *, prefix: str = "") -> tuple[str, str]:
        """``order_by`` arguments for tree order (parents before children), of this model or,
        with ``prefix``, of a model that points at it."""
        return (f"{prefix}tree_id", f"{prefix}lft")

    @classmethod
    def rebuild_tree(cls) -> None:
        """Number the stored tree again from the parents (after :meth:`bulk_insert_level`), as
        django-mptt's rebuild does — roots in ``order_insertion_by`` order get trees 1, 2, …,
        siblings follow it — but in one read and batched updates instead of an UPDATE per node
        (31,000 areas)."""
        with transaction.atomic(using=router.db_for_write(cls)):
            cls.lock_tree()
            order = tuple(cls._mptt_meta.order_insertion_by)
            manager = cls._base_manager
            roots = list(manager.filter(parent__isnull=True).order_by(*order, "pk").only("pk"))
            for number, root in enumerate(roots, 1):
                root.tree_id = number
            manager.bulk_update(roots, ["tree_id"], batch_size=500)
            cls.renumber_stored_tree(cls, order_by=order)
            # Positions moved without signals: the caches that keep nodes (a user's scope) go.
            processcache.changed(cls)

    @classmethod
    def number_inserted(cls) -> None:
        """Number the nodes :meth:`bulk_insert_level` left unnumbered into the stored tree, as
        :meth:`rebuild_tree` would, touching only what they move: per tree, the subtree of the
        lowest stored node above all of them is numbered again (one read of it) and the nodes
        after it in that tree shift along (two UPDATEs). 200 buildings under one community of a
        district of 31,000 areas in one tree renumber the community, not the district. New
        roots (or anything left unnumbered) fall back to :meth:`rebuild_tree`."""
        with transaction.atomic(using=router.db_for_write(cls)):
            cls.lock_tree()
            manager = cls._base_manager
            new = dict(manager.filter(tree_id=0).values_list("pk", "parent_id"))
            if not new:
                return
            anchors = {parent for parent in new.values() if parent not in new}
            if None in anchors:
                cls.rebuild_tree()
                return
            ranges: dict[int, tuple[int, int]] = {}
            for tree_id, lft, rght in manager.filter(pk__in=anchors).values_list(
                "tree_id", "lft", "rght"
            ):
                low, high = ranges.get(tree_id, (lft, rght))
                ranges[tree_id] = (min(low, lft), max(high, rght))
            for tree_id, (low, high) in sorted(ranges.items()):
                top = (
                    manager.filter(tree_id=tree_id, lft__lte=low, rght__gte=high)
                    .order_by("-lft")
                    .values_list("pk", "lft", "rght", "level")
                    .first()
                )
                cls._number_under(*top, tree_id=tree_id)
            if manager.filter(tree_id=0).exists():
                cls.rebuild_tree()
                return
            processcache.changed(cls)

    @classmethod
    def _number_under(cls, top: int, lft: int, rght: int, level: int, *, tree_id: int) -> None:
        """Number the stored subtree of ``top`` (at ``lft``..``rght``, ``level``) with the
        unnumbered nodes below it, siblings in ``order_insertion_by`` order as
        :meth:`rebuild_tree`; shift the rest of tree ``tree_id`` by the nodes added."""
        manager = cls._base_manager
        order = tuple(cls._mptt_meta.order_insertion_by)
        rows = (
            manager.filter(Q(tree_id=tree_id, lft__gte=lft, rght__lte=rght) | Q(tree_id=0))
            .order_by(*order, "pk")
            .values_list("pk", "parent_id")
        )
        children: dict[int | None, list[int]] = {}
        for pk, parent_id in rows:
            children.setdefault(parent_id, []).append(pk)
        numbers: dict[int, tuple[int, int, int, int]] = {}
        counter = _number_nodes(numbers, children, top, tree_id=tree_id, lft=lft, level=level)
        shift = (counter - 1) - rght
        if shift:
            # The ancestors' right ends and the later nodes' both ends, in one pass.
            manager.filter(tree_id=tree_id, rght__gt=rght).update(
                rght=models.F("rght") + shift,
                lft=models.Case(
                    models.When(lft__gt=rght, then=models.F("lft") + shift),
                    default=models.F("lft"),
                    output_field=cls._meta.get_field("lft"),
                ),
            )
        _write_numbers(cls, numbers)

    @classmethod
    def bulk_insert_level(cls, objs: list[TreeModel]) -> list[TreeModel]:
        """Insert many nodes at once without per-row tree updates; call rebuild_tree() or
        number_inserted() after.

        For loaders (the demo street, imports) that write thousands of nodes: per-row inserts
        shift lft/rght of the rest of the tree each time, which is quadratic.
        """
        for obj in objs:
            obj.lft = obj.rght = obj.tree_id = 0
            obj.level = 0
        with cls._tree_manager.disable_mptt_updates():
            return cls._default_manager.bulk_create(objs)

    @staticmethod
    def renumber_stored_tree(model, *, order_by: tuple[str, ...]) -> None:
        """Renumber the nested sets of ``model`` so that siblings follow ``order_by``: for a data
        migration that changes a tree's ``order_insertion_by`` (a historical model has no tree
        manager to rebuild with). Roots keep their trees; one read and an update per 2,000
        nodes."""
        manager = model._base_manager
        rows = list(manager.order_by(*order_by, "pk").values_list("pk", "parent_id", "tree_id"))
        children: dict[int | None, list[int]] = {}
        tree_of = {}
        for pk, parent_id, tree_id in rows:
            children.setdefault(parent_id, []).append(pk)
            tree_of[pk] = tree_id
        numbers: dict[int, tuple[int, int, int, int]] = {}
        for root in children.get(None, []):
            _number_nodes(numbers, children, root, tree_id=tree_of[root], lft=1, level=0)
        _write_numbers(model, numbers)

    @classmethod
    def check_tree(cls) -> list[str]:
        """Consistency problems of the stored tree, as sentences; empty when it is sound."""
        manager = cls._default_manager
        problems: list[str] = []
        bad = manager.filter(lft__gte=models.F("rght")).count()
        if bad:
            problems.append(f"{bad} node(s) with lft >= rght")
        bad = (
            manager.filter(parent__isnull=False)
            .exclude(
                tree_id=models.F("parent__tree_id"),
                lft__gt=models.F("parent__lft"),
                rght__lt=models.F("parent__rght"),
                level=models.F("parent__level") + 1,
            )
            .count()
        )
        if bad:
            problems.append(f"{bad} node(s) outside their parent's range or at the wrong level")
        bad = manager.filter(parent__isnull=True).exclude(lft=1, level=0).count()
        if bad:
            problems.append(f"{bad} root(s) not starting at lft=1, level 0")
        per_tree = (
            manager.order_by()
            .values("tree_id")
            .annotate(
                n=models.Count("pk"),
                max_rght=models.Max("rght"),
                distinct_lft=models.Count("lft", distinct=True),
                roots=models.Count("pk", filter=Q(parent__isnull=True)),
            )
        )
        for row in per_tree:
            if (
                row["max_rght"] != 2 * row["n"]
                or row["distinct_lft"] != row["n"]
                or row["roots"] != 1
            ):
                problems.append(
                    f"tree {row['tree_id']}: {row['n']} nodes, {row['roots']} root(s), "
                    f"max rght {row['max_rght']}, {row['distinct_lft']} distinct lft"
                )
        return problems


class LimitedTextField(models.TextField):
    """Free text with a length limit that holds everywhere: model forms and the admin (the form
    field's ``max_length``), DRF model serializers and so the API schema (``maxLength``), and
    the services' ``full_clean`` (a MaxLengthValidator). The database column stays ``text``."""

    def __init__(self, *args, max_length: int = 2000, **kwargs):
        super().__init__(*args, max_length=max_length, **kwargs)

    @cached_property
    def validators(self):
        return [*super().validators, MaxLengthValidator(self.max_length)]


def _number_nodes(
    numbers: dict[int, tuple[int, int, int, int]],
    children: dict[int | None, list[int]],
    top: int,
    *,
    tree_id: int,
    lft: int,
    level: int,
) -> int:
    """Put (tree_id, lft, rght, level) of ``top`` and every node below it (``children``: each
    node's children in order) into ``numbers``, ``top`` at ``lft`` and ``level``, depth first
    without recursion; the number after the last one given."""
    counter = lft
    lefts: dict[int, int] = {}
    stack = [(top, level, False)]
    while stack:
        pk, depth, done = stack.pop()
        if done:
            numbers[pk] = (tree_id, lefts[pk], counter, depth)
            counter += 1
            continue
        lefts[pk] = counter
        counter += 1
        stack.append((pk, depth, True))
        stack.extend((child, depth + 1, False) for child in reversed(children.get(pk, [])))
    return counter


def _write_numbers(model, numbers: dict[int, tuple[int, int, int, int]]) -> None:
    """Write (tree_id, lft, rght, level) by primary key. One UPDATE … FROM a VALUES list per
    2,000 nodes (PostgreSQL, SQLite 3.33+): bulk_update's CASE WHEN per column took minutes
    for 31,000 areas."""
    manager = model._base_manager
    connection = connections[manager.db]
    q = connection.ops.quote_name
    table = q(model._meta.db_table)
    pk = q(model._meta.pk.column)
    rows = [(node, *numbers[node]) for node in sorted(numbers)]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 2000):
            chunk = rows[start : start + 2000]
            cursor.execute(
                f"WITH v(n, t, l, r, d) AS "
                f"(VALUES {', '.join(['(%s, %s, %s, %s, %s)'] * len(chunk))}) "
                f"UPDATE {table} SET tree_id = v.t, lft = v.l, rght = v.r, level = v.d "
                f"FROM v WHERE {table}.{pk} = v.n",
                [value for row in chunk for value in row],
            )

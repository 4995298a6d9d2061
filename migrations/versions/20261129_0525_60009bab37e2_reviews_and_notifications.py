"""reviews and notifications

Revision ID: 60009bab37e2
Revises: 92c3975ae17e
Create Date: 2026-11-29 05:25:25.734181
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '60009bab37e2'
down_revision: str | None = '92c3975ae17e'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('message', sa.String(length=200), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('link', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notifications_user_id'), ['user_id'], unique=False)

    op.create_table('reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('awaiting_review', 'in_review', 'returned', 'released', name='reviewstatus', native_enum=False, length=20), nullable=False),
    sa.Column('examiner_id', sa.Integer(), nullable=True),
    sa.Column('released_score', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('released_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempts.id'], name=op.f('fk_reviews_attempt_id_attempts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['examiner_id'], ['users.id'], name=op.f('fk_reviews_examiner_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reviews')),
    sa.UniqueConstraint('attempt_id', name=op.f('uq_reviews_attempt_id'))
    )
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reviews_status'), ['status'], unique=False)

    op.create_table('review_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.Enum('submitted', 'claimed', 'override', 'comment', 'returned', 'released', name='reviewkind', native_enum=False, length=20), nullable=False),
    sa.Column('criterion', sa.String(length=80), nullable=True),
    sa.Column('before', sa.Float(), nullable=True),
    sa.Column('after', sa.Float(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('anchor', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_review_events_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['review_id'], ['reviews.id'], name=op.f('fk_review_events_review_id_reviews'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_events'))
    )
    with op.batch_alter_table('review_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_events_review_id'), ['review_id'], unique=False)

    # Attempts submitted before reviews existed: practice counts as released (its debrief was
    # already shown), an exam waits for an examiner.
    op.execute(sa.text(
        "INSERT INTO reviews (attempt_id, status, released_score, created_at, updated_at, "
        "released_at) "
        "SELECT attempts.id, CASE WHEN assignments.mode = 'exam' THEN 'awaiting_review' "
        "ELSE 'released' END, CASE WHEN assignments.mode = 'exam' THEN NULL "
        "ELSE attempts.score END, COALESCE(attempts.submitted_at, attempts.updated_at), "
        "COALESCE(attempts.submitted_at, attempts.updated_at), "
        "CASE WHEN assignments.mode = 'exam' THEN NULL "
        "ELSE COALESCE(attempts.submitted_at, attempts.updated_at) END "
        "FROM attempts JOIN assignments ON assignments.id = attempts.assignment_id "
        "WHERE attempts.status = 'submitted'"))


def downgrade() -> None:
    with op.batch_alter_table('review_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_events_review_id'))

    op.drop_table('review_events')
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reviews_status'))

    op.drop_table('reviews')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notifications_user_id'))

    op.drop_table('notifications')
    # ### end Alembic commands ###

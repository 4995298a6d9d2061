"""clips

Revision ID: b0b81266b7b5
Revises: 706efab07b93
Create Date: 2026-11-29 04:56:11.301723
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'b0b81266b7b5'
down_revision: str | None = '706efab07b93'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('clip_uploads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=43), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('length', sa.BigInteger(), nullable=False),
    sa.Column('offset', sa.BigInteger(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_clip_uploads_created_by_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clip_uploads')),
    sa.UniqueConstraint('token', name=op.f('uq_clip_uploads_token'))
    )
    op.create_table('clips',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('title_zh', sa.String(length=200), nullable=False),
    sa.Column('title_en', sa.String(length=200), nullable=False),
    sa.Column('summary_zh', sa.Text(), nullable=False),
    sa.Column('summary_en', sa.Text(), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('original_key', sa.String(length=200), nullable=True),
    sa.Column('original_bytes', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.Enum('queued', 'processing', 'ready', 'failed', name='clipstatus', native_enum=False, length=20), nullable=False),
    sa.Column('progress', sa.Float(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('runs', sa.Integer(), nullable=False),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('duration', sa.Float(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('has_audio', sa.Boolean(), nullable=False),
    sa.Column('renditions', sa.JSON(), nullable=False),
    sa.Column('redactions', sa.JSON(), nullable=False),
    sa.Column('captions', sa.JSON(), nullable=False),
    sa.Column('chapters', sa.JSON(), nullable=False),
    sa.Column('questions', sa.JSON(), nullable=False),
    sa.Column('published', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_clips_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clips')),
    sa.UniqueConstraint('slug', name=op.f('uq_clips_slug'))
    )
    op.create_table('clip_cohorts',
    sa.Column('clip_id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['clip_id'], ['clips.id'], name=op.f('fk_clip_cohorts_clip_id_clips'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_clip_cohorts_cohort_id_cohorts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('clip_id', 'cohort_id', name=op.f('pk_clip_cohorts'))
    )
    op.create_table('clip_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('clip_id', sa.Integer(), nullable=False),
    sa.Column('scenario_id', sa.String(length=80), nullable=False),
    sa.Column('node', sa.String(length=80), nullable=False),
    sa.Column('criterion', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['clip_id'], ['clips.id'], name=op.f('fk_clip_links_clip_id_clips'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clip_links')),
    sa.UniqueConstraint('clip_id', 'scenario_id', 'node', 'criterion', name=op.f('uq_clip_links_clip_id_scenario_id_node_criterion'))
    )
    with op.batch_alter_table('clip_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clip_links_clip_id'), ['clip_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_clip_links_scenario_id'), ['scenario_id'], unique=False)

    op.create_table('clip_progress',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('clip_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('segments', sa.JSON(), nullable=False),
    sa.Column('watched', sa.Float(), nullable=False),
    sa.Column('position', sa.Float(), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['clip_id'], ['clips.id'], name=op.f('fk_clip_progress_clip_id_clips'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_clip_progress_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clip_progress')),
    sa.UniqueConstraint('clip_id', 'user_id', name=op.f('uq_clip_progress_clip_id_user_id'))
    )
    with op.batch_alter_table('clip_progress', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clip_progress_clip_id'), ['clip_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_clip_progress_user_id'), ['user_id'], unique=False)

    # ### end Alembic commands ###


def downgrade() -> None:
    with op.batch_alter_table('clip_progress', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clip_progress_user_id'))
        batch_op.drop_index(batch_op.f('ix_clip_progress_clip_id'))

    op.drop_table('clip_progress')
    with op.batch_alter_table('clip_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clip_links_scenario_id'))
        batch_op.drop_index(batch_op.f('ix_clip_links_clip_id'))

    op.drop_table('clip_links')
    op.drop_table('clip_cohorts')
    op.drop_table('clips')
    op.drop_table('clip_uploads')
    # ### end Alembic commands ###

import type { SeverityLevel } from '../config/incidents-schema.js';

export type IncidentState = 'open' | 'resolved';

export interface Incident {
  id: string;
  title: string;
  severity: SeverityLevel;
  state: IncidentState;
  systems: string[];
  declaredBy: string;
  commander: string | null;
  scribe: string | null;
  /** Where it lives: platform + channel; `place` is 'channel' (own channel) or 'thread' (thread of the summary). */
  platform: string;
  channel: string;
  place: 'channel' | 'thread';
  summaryKey: string | null;
  statusLine: string;
  createdAt: Date;
  lastUpdateAt: Date;
  resolvedAt: Date | null;
  resolution: string | null;
  escalationLevel: number;
  lastSnapshotAt: Date | null;
  lastHealth: Record<string, string> | null;
  reviewComplete: boolean;
  remindersSent: number;
}

export type EventKind = 'declared' | 'update' | 'severity' | 'assign' | 'alert' | 'health' | 'escalation' | 'resolved' | 'command' | 'approval' | 'vote' | 'step' | 'result' | 'reminder';

export interface TimelineEvent {
  at: Date;
  kind: EventKind;
  actor: string;
  text: string;
}

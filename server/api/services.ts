import { approveTask, cancelTask, rejectTask, rerunTask } from "@/server/tasks/task-actions";
import { createTask, getTask, listTasks } from "@/server/tasks/tasks";
import {
  createKnowledgeDocument,
  deleteKnowledgeDocument,
  getKnowledgeDocument,
  listKnowledgeDocuments,
  replaceKnowledgeDocument,
} from "@/server/knowledge/documents";
import { searchKnowledgeFor } from "@/server/knowledge/search";
import { createAgentDefinition, deleteAgentDefinition, listAgentDefinitions } from "@/server/teams/agent-definitions";

/**
 * What procedures reach data through, handed to them in the tRPC context as create-t3-app hands
 * its handlers `db`. In Chorus that is the services, not the queries: each use-case takes the
 * caller, checks the role, the team and the state, and calls server/db/queries — so a procedure
 * only wires input to a use-case. A test may build a context with others.
 */
export const chorusServices = {
  tasks: {
    create: createTask,
    get: getTask,
    list: listTasks,
    approve: approveTask,
    reject: rejectTask,
    cancel: cancelTask,
    rerun: rerunTask,
  },
  agents: { list: listAgentDefinitions, create: createAgentDefinition, delete: deleteAgentDefinition },
  knowledge: {
    list: listKnowledgeDocuments,
    get: getKnowledgeDocument,
    search: searchKnowledgeFor,
    create: createKnowledgeDocument,
    replace: replaceKnowledgeDocument,
    delete: deleteKnowledgeDocument,
  },
};

export type ChorusServices = typeof chorusServices;
